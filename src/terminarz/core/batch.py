"""Rows that nothing in the same request waits for, written in one round trip.

Inside `with batch.collected():` a call to `batch.insert(obj)` keeps the row and writes it when
the block ends; outside such a block it is saved at once. On PostgreSQL the kept rows are one
statement of data-modifying CTEs (`WITH i0 AS (INSERT … RETURNING id), i1 AS (…) SELECT …`);
elsewhere one INSERT each. Every row gets its primary key when written.

The booking pipeline collects the rows written after the appointment (its transition, the
audit entry, the outbox messages, a queue entry), so one booking is one statement for them.

Rules for a collected row:
- it may refer to rows already written, never to another collected row (the CTEs of one
  statement run in no fixed order and see none of each other's rows);
- `skip_if_exists_on=(fields…)` turns a violation of that unique constraint into "not
  written" (`ON CONFLICT (columns) DO NOTHING`): the object's pk then stays None;
- no `save()`, so no model signals (none of the collected models has receivers).
"""

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import IntegrityError, connection, models, transaction


@dataclass
class _Row:
    obj: models.Model
    unique_on: tuple[str, ...]  # () or the fields of the unique constraint that may skip it


@dataclass
class _Collector:
    rows: list[_Row]
    depth: int  # savepoints open when collecting began


_collector: contextvars.ContextVar[_Collector | None] = contextvars.ContextVar("terminarz_batch", default=None)


def collecting() -> bool:
    return _collector.get() is not None


def _depth() -> int:
    return len(transaction.get_connection().savepoint_ids)


@contextlib.contextmanager
def collected() -> Iterator[None]:
    """Collect `insert` calls and write them when the block ends without an error (a nested
    block joins the outer one). Only inside a transaction: an on-commit hook registered for a
    collected row runs after the row is written. A row inserted inside a savepoint opened in
    the block is written at once, so rolling that savepoint back drops it as it drops the
    savepoint's on-commit hooks."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("batch.collected() needs a transaction")
    if _collector.get() is not None:
        yield
        return
    collector = _Collector(rows=[], depth=_depth())
    token = _collector.set(collector)
    try:
        yield
    finally:
        _collector.reset(token)
    write(collector.rows)


def insert(obj: models.Model, *, skip_if_exists_on: tuple[str, ...] = ()) -> None:
    """Insert `obj` (now, or with the collected rows). `skip_if_exists_on`: the fields of a
    unique constraint; a row already holding those values makes this one "not written" (its pk
    stays None). Any other violation raises, as a plain INSERT would."""
    row = _Row(obj, skip_if_exists_on)
    collector = _collector.get()
    if collector is None or _depth() != collector.depth:
        write([row])
    else:
        collector.rows.append(row)


def write(rows: list[_Row]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        _write_postgresql(rows)
        return
    for row in rows:
        if not row.unique_on:
            row.obj.save(force_insert=True)
            continue
        try:
            with transaction.atomic():
                row.obj.save(force_insert=True)
        except IntegrityError:
            existing = {name: getattr(row.obj, name) for name in row.unique_on}
            if not type(row.obj)._base_manager.filter(**existing).exists():
                raise
            row.obj.pk = None


def _write_postgresql(rows: list[_Row]) -> None:
    quote = connection.ops.quote_name
    ctes, selects, params = [], [], []
    for n, row in enumerate(rows):
        meta = row.obj._meta
        table, pk_column = str(meta.db_table), str(meta.pk.column)
        fields = [f for f in meta.local_concrete_fields if not (f.primary_key and getattr(row.obj, f.attname) is None)]
        values = [f.get_db_prep_save(f.pre_save(row.obj, add=True), connection) for f in fields]
        columns = ", ".join(quote(str(f.column)) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        conflict = ""
        if row.unique_on:
            by_name = {f.name: f for f in meta.local_concrete_fields}
            targets = ", ".join(quote(str(by_name[name].column)) for name in row.unique_on)
            conflict = f" ON CONFLICT ({targets}) DO NOTHING"
        ctes.append(
            f"i{n} AS (INSERT INTO {quote(table)} ({columns}) VALUES ({placeholders}){conflict}"
            f" RETURNING {quote(pk_column)})"
        )
        selects.append(f"SELECT {n}, {quote(pk_column)} FROM i{n}")
        params += values
    sql = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(selects)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = dict(cursor.fetchall())
    for n, row in enumerate(rows):
        if n in written:
            row.obj.pk = written[n]
            row.obj._state.adding = False
            row.obj._state.db = connection.alias
        else:
            row.obj.pk = None
