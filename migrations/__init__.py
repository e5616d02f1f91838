"""Alembic migrations of DeltaLLM (run through ``app.db.migrate``; there is no alembic.ini)."""
