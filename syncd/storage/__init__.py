"""Storage: the only package that speaks SQL (SQLAlchemy and Alembic live here and in migrations/).

Other layers import ``Database`` and the ``Session`` type from here, never from SQLAlchemy.
"""

from sqlalchemy.orm import Session

from syncd.storage.database import Database

__all__ = ["Database", "Session"]
