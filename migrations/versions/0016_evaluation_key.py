"""hires: a digest of what their last milestone evaluation read

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hires', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evaluation_key', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('hires', schema=None) as batch_op:
        batch_op.drop_column('evaluation_key')
