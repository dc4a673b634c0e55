"""imports: failed runs with their error, undone runs, the values a run replaced

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _replaced(name, record_columns):
    op.create_table(
        name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('replaced_by_run_id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        *record_columns,
        sa.ForeignKeyConstraint(['replaced_by_run_id'], ['import_runs.id'], name=op.f(f'fk_{name}_replaced_by_run_id_import_runs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{name}_replaced_by_run_id'), ['replaced_by_run_id'], unique=False)


def upgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('undone_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_import_runs_undone_by_id_users'), 'users', ['undone_by_id'], ['id'], ondelete='SET NULL')

    _replaced('replaced_contacts', [
        sa.Column('source', sa.String(length=64), nullable=True),
        sa.Column('external_id', sa.String(length=200), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=32), nullable=True),
        sa.Column('queue', sa.String(length=120), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('solved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('handle_seconds', sa.Float(), nullable=True),
        sa.Column('reopens', sa.Integer(), nullable=True),
        sa.Column('contacts_to_resolve', sa.Integer(), nullable=True),
        sa.Column('csat_rating', sa.Float(), nullable=True),
        sa.Column('csat_min', sa.Float(), nullable=True),
        sa.Column('csat_max', sa.Float(), nullable=True),
        sa.Column('sla_met', sa.Boolean(), nullable=True),
        sa.Column('sla_target_seconds', sa.Float(), nullable=True),
        sa.Column('first_response_seconds', sa.Float(), nullable=True),
        sa.Column('resolution_seconds', sa.Float(), nullable=True),
        sa.Column('first_contact_resolved', sa.Boolean(), nullable=True),
        sa.Column('csat_good', sa.Boolean(), nullable=True),
        sa.Column('sla_outcome', sa.Boolean(), nullable=True),
        sa.Column('metric_date', sa.Date(), nullable=True),
        sa.Column('import_run_id', sa.Integer(), nullable=True),
    ])
    _replaced('replaced_qa_evaluations', [
        sa.Column('source', sa.String(length=64), nullable=True),
        sa.Column('external_id', sa.String(length=200), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('interaction_id', sa.String(length=200), nullable=True),
        sa.Column('interaction_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('scorecard', sa.String(length=200), nullable=True),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('max_score', sa.Float(), nullable=True),
        sa.Column('critical_fail', sa.Boolean(), nullable=True),
        sa.Column('categories', sa.JSON(), nullable=True),
        sa.Column('percent', sa.Float(), nullable=True),
        sa.Column('metric_date', sa.Date(), nullable=True),
        sa.Column('import_run_id', sa.Integer(), nullable=True),
    ])


def downgrade():
    for name in ('replaced_qa_evaluations', 'replaced_contacts'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{name}_replaced_by_run_id'))
        op.drop_table(name)
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_import_runs_undone_by_id_users'), type_='foreignkey')
        batch_op.drop_column('undone_by_id')
        batch_op.drop_column('undone_at')
        batch_op.drop_column('error')
