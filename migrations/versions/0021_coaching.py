"""coaching: rules versions, the refreshers they assign, and each hire's earliest due refresher

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coaching_rules_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_coaching_rules_versions_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaching_rules_versions')),
    sa.UniqueConstraint('number', name=op.f('uq_coaching_rules_versions_number'))
    )
    op.create_table('coaching_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hire_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rules_version_id', sa.Integer(), nullable=False),
    sa.Column('rule_key', sa.String(length=64), nullable=False),
    sa.Column('measure_kind', sa.String(length=16), nullable=False),
    sa.Column('measure_key', sa.String(length=200), nullable=True),
    sa.Column('measure_label', sa.String(length=200), nullable=False),
    sa.Column('condition', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('baseline_count', sa.Integer(), nullable=False),
    sa.Column('measure_over', sa.Integer(), nullable=False),
    sa.Column('curriculum_slug', sa.String(length=64), nullable=False),
    sa.Column('module_slug', sa.String(length=64), nullable=True),
    sa.Column('lesson_slug', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('done', sa.JSON(), nullable=False),
    sa.Column('fired_on', sa.Date(), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.Column('dismiss_reason', sa.Text(), nullable=True),
    sa.Column('overdue_announced', sa.Boolean(), nullable=False),
    sa.Column('one_to_one', sa.Boolean(), nullable=False),
    sa.Column('one_to_one_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('one_to_one_by_id', sa.Integer(), nullable=True),
    sa.Column('one_to_one_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'], name=op.f('fk_coaching_assignments_dismissed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hire_id'], ['hires.id'], name=op.f('fk_coaching_assignments_hire_id_hires'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['one_to_one_by_id'], ['users.id'], name=op.f('fk_coaching_assignments_one_to_one_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rules_version_id'], ['coaching_rules_versions.id'], name=op.f('fk_coaching_assignments_rules_version_id_coaching_rules_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_coaching_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaching_assignments')),
    sa.UniqueConstraint('hire_id', 'rule_key', 'fired_on', name=op.f('uq_coaching_assignments_hire_id'))
    )
    with op.batch_alter_table('coaching_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaching_assignments_hire_id'), ['hire_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coaching_assignments_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_coaching_assignments_status_due', ['status', 'due_on'], unique=False)
        batch_op.create_index('uq_coaching_assignments_open', ['hire_id', 'rule_key'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    with op.batch_alter_table('hires', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coaching_due', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('hires', schema=None) as batch_op:
        batch_op.drop_column('coaching_due')

    with op.batch_alter_table('coaching_assignments', schema=None) as batch_op:
        batch_op.drop_index('uq_coaching_assignments_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_coaching_assignments_status_due')
        batch_op.drop_index(batch_op.f('ix_coaching_assignments_user_id'))
        batch_op.drop_index(batch_op.f('ix_coaching_assignments_hire_id'))

    op.drop_table('coaching_assignments')
    op.drop_table('coaching_rules_versions')
