"""single sign-on: identity providers, identities, sign-in states, SAML assertions seen, settings

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 06:53:08.586629

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('identity_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('protocol', sa.String(length=8), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=True),
    sa.Column('client_secret', sa.Text(), nullable=True),
    sa.Column('scopes', sa.String(length=500), nullable=False),
    sa.Column('saml_metadata', sa.Text(), nullable=True),
    sa.Column('email_claim', sa.String(length=120), nullable=False),
    sa.Column('name_claim', sa.String(length=120), nullable=False),
    sa.Column('groups_claim', sa.String(length=120), nullable=True),
    sa.Column('allow_jit', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('allow_email_match', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('require_verified_email', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('group_mapping', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_providers')),
    sa.UniqueConstraint('name', name=op.f('uq_identity_providers_name'))
    )
    op.create_table('saml_assertions_seen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.String(length=255), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['identity_providers.id'], name=op.f('fk_saml_assertions_seen_provider_id_identity_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saml_assertions_seen')),
    sa.UniqueConstraint('assertion_id', name=op.f('uq_saml_assertions_seen_assertion_id'))
    )
    with op.batch_alter_table('saml_assertions_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saml_assertions_seen_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_saml_assertions_seen_provider_id'), ['provider_id'], unique=False)

    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('sso_login_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('code_verifier', sa.String(length=128), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('next_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['identity_providers.id'], name=op.f('fk_sso_login_states_provider_id_identity_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_login_states')),
    sa.UniqueConstraint('nonce', name=op.f('uq_sso_login_states_nonce')),
    sa.UniqueConstraint('state', name=op.f('uq_sso_login_states_state'))
    )
    with op.batch_alter_table('sso_login_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_login_states_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sso_login_states_provider_id'), ['provider_id'], unique=False)

    op.create_table('user_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['identity_providers.id'], name=op.f('fk_user_identities_provider_id_identity_providers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_identities')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_user_identities_issuer'))
    )
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_identities_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_identities_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_identities_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_identities_provider_id'))

    op.drop_table('user_identities')
    with op.batch_alter_table('sso_login_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_login_states_provider_id'))
        batch_op.drop_index(batch_op.f('ix_sso_login_states_expires_at'))

    op.drop_table('sso_login_states')
    op.drop_table('settings')
    with op.batch_alter_table('saml_assertions_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saml_assertions_seen_provider_id'))
        batch_op.drop_index(batch_op.f('ix_saml_assertions_seen_expires_at'))

    op.drop_table('saml_assertions_seen')
    op.drop_table('identity_providers')
