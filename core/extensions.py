"""The app's extension objects, created once and bound by ``create_app``."""

from __future__ import annotations

import contextvars

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with named constraints, so Alembic can alter them on SQLite too."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()

# How the next SQLite transaction begins. Reads need no write lock; everything else takes
# SQLite's writer lock up front (the factory's connection hook reads this).
sqlite_begin = contextvars.ContextVar("sqlite_begin", default="BEGIN IMMEDIATE")
