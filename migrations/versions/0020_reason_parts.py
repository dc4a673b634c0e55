"""plan_milestones: the parts of each status reason, which pages word in the reader's language

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # Rows evaluated before this have none: they show their stored English reason.
    with op.batch_alter_table('plan_milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_parts', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('plan_milestones', schema=None) as batch_op:
        batch_op.drop_column('reason_parts')
