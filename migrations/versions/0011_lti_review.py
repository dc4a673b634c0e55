"""lti: no platform-storage state

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 14:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lti_login_states', schema=None) as batch_op:
        batch_op.drop_column('storage_target')


def downgrade():
    with op.batch_alter_table('lti_login_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage_target', sa.String(length=100), nullable=True))
