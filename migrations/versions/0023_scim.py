"""scim: users and groups provisioned by an identity provider

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 07:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scim_users',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('user_name', sa.String(length=255), nullable=True),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('suspended_hire_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scim_users_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_scim_users')),
    sa.UniqueConstraint('user_name', name=op.f('uq_scim_users_user_name'))
    )
    with op.batch_alter_table('scim_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_users_external_id'), ['external_id'], unique=False)

    op.create_table('scim_groups',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_scim_groups_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_scim_groups'))
    )
    with op.batch_alter_table('scim_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_groups_external_id'), ['external_id'], unique=False)


def downgrade():
    with op.batch_alter_table('scim_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_groups_external_id'))

    op.drop_table('scim_groups')
    with op.batch_alter_table('scim_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_users_external_id'))

    op.drop_table('scim_users')
