"""Alembic migrations; applied by `binhdan run` at start and by `binhdan db upgrade`."""
