"""api tokens: scopes, an optional expiry, and a mark on tokens made before scopes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 05:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Every scope there was when scopes came in: tokens made before keep working as they did.
ALL_SCOPES = 'records:write hires:read certificates:read'


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('predates_scopes', sa.Boolean(), nullable=True))
    tokens = sa.table(
        'api_tokens',
        sa.column('scopes', sa.String()),
        sa.column('predates_scopes', sa.Boolean()),
    )
    op.execute(tokens.update().values(scopes=ALL_SCOPES, predates_scopes=True))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('scopes', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('predates_scopes', existing_type=sa.Boolean(), nullable=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('predates_scopes')
        batch_op.drop_column('expires_on')
        batch_op.drop_column('scopes')
