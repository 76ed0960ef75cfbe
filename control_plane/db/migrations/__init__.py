"""Alembic migrations of the configuration database, shipped inside the package.

Run them through :mod:`control_plane.db.migrate` (or ``python -m control_plane.db``); no
alembic.ini and no working directory are involved.
"""
