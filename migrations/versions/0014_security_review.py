"""security review: roster sync failures per course, a session version per user

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 04:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lti_contexts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roster_failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('roster_error', sa.String(length=1000), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('lti_contexts', schema=None) as batch_op:
        batch_op.drop_column('roster_error')
        batch_op.drop_column('roster_failed_at')
