"""qa_category_scores: each evaluation's scorecard categories as rows, filled from their JSON

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 16:50:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BATCH = 1000


def _key(name):
    # ramp.metrics.mapping.category_key as it stands at this revision.
    return " ".join(str(name).split()).casefold()


def _percent(score, low, high):
    if score is None or high is None or high == low:
        return None
    return (float(score) - float(low)) / (float(high) - float(low)) * 100


def upgrade():
    op.create_table(
        "qa_category_scores",
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("max_score", sa.Float(), nullable=True),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("not_applicable", sa.Boolean(), nullable=False),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["qa_evaluations.id"],
            name=op.f("fk_qa_category_scores_evaluation_id_qa_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", "position", name=op.f("pk_qa_category_scores")),
    )
    # Every stored category gets its key (the import writes it from now on, and an undo
    # reads it back from the kept values), and every evaluation's categories their rows.
    connection = op.get_bind()
    scores = sa.table(
        "qa_category_scores",
        *(
            sa.column(name)
            for name in (
                "evaluation_id",
                "position",
                "name",
                "key",
                "score",
                "max_score",
                "min_score",
                "weight",
                "critical",
                "not_applicable",
                "percent",
            )
        ),
    )
    for name, write_rows in (("qa_evaluations", True), ("replaced_qa_evaluations", False)):
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("categories", sa.JSON))
        last = 0
        while True:
            batch = connection.execute(
                sa.select(table.c.id, table.c.categories)
                .where(table.c.id > last)
                .order_by(table.c.id)
                .limit(BATCH)
            ).all()
            if not batch:
                break
            last = batch[-1].id
            updates, rows = [], []
            for record_id, categories in batch:
                if not isinstance(categories, list) or not categories:
                    continue
                keyed = [
                    {**c, "key": _key(c.get("name", ""))} if isinstance(c, dict) else c
                    for c in categories
                ]
                if keyed != categories:
                    updates.append({"record_id": record_id, "new_categories": keyed})
                if not write_rows:
                    continue
                for position, c in enumerate(keyed):
                    if not isinstance(c, dict):
                        continue
                    low = c.get("min_score", 0.0)
                    low = 0.0 if low is None else low
                    weight = c.get("weight", 1.0)
                    rows.append(
                        {
                            "evaluation_id": record_id,
                            "position": position,
                            "name": str(c.get("name", "")),
                            "key": c["key"],
                            "score": c.get("score"),
                            "max_score": c.get("max_score"),
                            "min_score": low,
                            "weight": 1.0 if weight is None else weight,
                            "critical": bool(c.get("critical")),
                            "not_applicable": c.get("score") is None,
                            "percent": _percent(c.get("score"), low, c.get("max_score")),
                        }
                    )
            if updates:
                connection.execute(
                    table.update()
                    .where(table.c.id == sa.bindparam("record_id"))
                    .values(categories=sa.bindparam("new_categories", type_=sa.JSON)),
                    updates,
                )
            if rows:
                connection.execute(scores.insert(), rows)


def downgrade():
    op.drop_table("qa_category_scores")
