"""Database helpers about how a statement runs, not what it reads."""

import contextlib
from collections.abc import Iterator

from django.db import connection


@contextlib.contextmanager
def unprepared() -> Iterator[None]:
    """Statements in this block are planned afresh each time (PostgreSQL).

    Connections prepare a statement run twice (`TERMINARZ_DB_PREPARED`), and after five runs
    PostgreSQL may keep one generic plan for every value. That suits the short OLTP statements;
    a search whose best plan depends on its values (how many practitioners, which window) ran
    3× slower on its generic plan (15.7 ms instead of 4.2–5.8 ms at 20,000 practitioners)."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = before
