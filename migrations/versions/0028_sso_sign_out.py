"""single sign-on: signing out at an OpenID provider too, with the last ID token as its hint

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 04:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ... ADD COLUMN on both databases: batch mode on SQLite would reflect
    # users through the foreign keys, whose lower(email) index SQLite cannot read back.
    op.add_column(
        'identity_providers',
        sa.Column('sign_out_at_provider', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column('user_identities', sa.Column('sign_out_hint', sa.Text(), nullable=True))


def downgrade():
    # The tables alone, not those their foreign keys name (see above).
    unrelated = {"resolve_fks": False}
    with op.batch_alter_table('user_identities', reflect_kwargs=unrelated) as batch:
        batch.drop_column('sign_out_hint')
    with op.batch_alter_table('identity_providers', reflect_kwargs=unrelated) as batch:
        batch.drop_column('sign_out_at_provider')
