"""capacity and attrition: hires marked as left (date, reason, note) and planned classes

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hires', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('left_reason', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('left_note', sa.Text(), nullable=True))
    op.create_table('planned_classes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('queue', sa.String(length=120), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('heads', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_planned_classes_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_planned_classes_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_classes'))
    )
    op.create_index(op.f('ix_planned_classes_team_id'), 'planned_classes', ['team_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_planned_classes_team_id'), table_name='planned_classes')
    op.drop_table('planned_classes')
    with op.batch_alter_table('hires', schema=None) as batch_op:
        batch_op.drop_column('left_note')
        batch_op.drop_column('left_reason')
        batch_op.drop_column('left_on')
