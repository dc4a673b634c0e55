"""skills: each source's grants, the log of skill changes, the skills webhook

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 07:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "skill_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("hire_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source_label", sa.String(length=200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["hire_id"],
            ["hires.id"],
            name=op.f("fk_skill_grants_hire_id_hires"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_skill_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_grants")),
        sa.UniqueConstraint("source", "source_id", "skill", name=op.f("uq_skill_grants_source")),
    )
    op.create_index(op.f("ix_skill_grants_hire_id"), "skill_grants", ["hire_id"], unique=False)
    op.create_index(op.f("ix_skill_grants_user_id"), "skill_grants", ["user_id"], unique=False)
    op.create_table(
        "skill_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source_label", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_skill_changes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_changes")),
        sa.UniqueConstraint("event_id", name=op.f("uq_skill_changes_event_id")),
    )
    op.create_index(op.f("ix_skill_changes_user_id"), "skill_changes", ["user_id"], unique=False)
    op.create_table(
        "skill_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_skill_webhooks_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_webhooks")),
    )


def downgrade():
    op.drop_table("skill_webhooks")
    op.drop_index(op.f("ix_skill_changes_user_id"), table_name="skill_changes")
    op.drop_table("skill_changes")
    op.drop_index(op.f("ix_skill_grants_user_id"), table_name="skill_grants")
    op.drop_index(op.f("ix_skill_grants_hire_id"), table_name="skill_grants")
    op.drop_table("skill_grants")
