"""The extensions every app has, the command line's too: the database and the translations
(Flask-Babel; ramp.i18n attaches it). Created unbound and attached in create_app(). The web layer's own (CSRF, rate limits, htmx, sign-in) are in
ramp.webkit, and Flask-Migrate is in ramp.schema: a command that does not serve pages or
migrate loads neither."""

from datetime import datetime

from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraint names are the same on SQLite and PostgreSQL."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


db = SQLAlchemy(model_class=Base)
babel = Babel()
