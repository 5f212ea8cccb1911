"""Alembic migrations; applied by `binhdan run` at start and by `binhdan db upgrade`."""

# PostgreSQL advisory lock key ("binhdan" in ASCII) held around every migration run (env.py).
MIGRATION_LOCK_KEY = 0x62696E6864616E
