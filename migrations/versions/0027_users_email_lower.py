"""users: an index on lower(email), which sign-in, SCIM and imports look users up by

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 01:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_users_email_lower', 'users', [sa.text('lower(email)')], unique=False)


def downgrade():
    op.drop_index('ix_users_email_lower', table_name='users')
