"""lti: LMS origins and trusted e-mails per registration, score timestamps, no storage state

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
    with op.batch_alter_table('lti_registrations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('lms_origins', sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column('trust_emails', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('lti_score_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('lti_login_states', schema=None) as batch_op:
        batch_op.drop_column('storage_target')


def downgrade():
    with op.batch_alter_table('lti_score_posts', schema=None) as batch_op:
        batch_op.drop_column('submitted_at')
    with op.batch_alter_table('lti_registrations', schema=None) as batch_op:
        batch_op.drop_column('trust_emails')
        batch_op.drop_column('lms_origins')
    with op.batch_alter_table('lti_login_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage_target', sa.String(length=100), nullable=True))
