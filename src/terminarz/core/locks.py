"""Locks in one place: `lock_objects` takes transaction-scoped locks in one documented order.

Lock order (a transaction takes locks only in this order, never back up it):

    slot → practitioner → patient → appointment → payment

`lock_objects(("practitioner", 12), ("patient", key))` sorts its keys by that order (then by
value), refuses to run outside a transaction, refuses a key of a kind that ranks below one this
transaction already locked (a reversed order is how two transactions deadlock), and waits at
most `LOCK_TIMEOUT_MS` for each lock (then the database raises and the transaction rolls
back: the caller answers "try again", never hangs).

On PostgreSQL the locks are advisory transaction locks `pg_advisory_xact_lock(space, key)`,
released at commit or rollback. On SQLite every writing transaction is IMMEDIATE (one writer
at a time), so nothing more is needed and only the order rules are checked.

A slot's own row lock (the conditional UPDATE of `booking.capacity.take_slot`, or
`select_for_update`) ranks as "slot"."""

import functools
import hashlib
from collections.abc import Iterable

from django.db import connection, transaction

ORDER = ("slot", "practitioner", "patient", "appointment", "payment")
SPACES = {kind: 7100 + rank for rank, kind in enumerate(ORDER)}  # first int of the advisory key
LOCK_TIMEOUT_MS = 10_000


class LockOrderError(RuntimeError):
    """A programming error: locks taken against the documented order, or outside a transaction."""


def key_for(value: str) -> int:
    """A stable signed 32-bit key for a text (e.g. a keyed hash of a PESEL)."""
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], "big", signed=True)


def _noop() -> None:
    pass


def _state() -> dict:
    """Per-transaction record of the highest rank locked so far. The transaction is the
    outermost atomic block of the application (a test case's own wrapping block does not
    count), recognised by identity and by a marker on-commit hook: Django drops its hooks on
    commit and on rollback, so a missing marker means a new transaction even when a decorated
    function reuses its atomic block object."""
    conn = transaction.get_connection()
    blocks = [b for b in conn.atomic_blocks if not getattr(b, "_from_testcase", False)]
    block = blocks[0] if blocks else None
    state = getattr(conn, "_terminarz_locks", None)
    if (
        state is None
        or state["block"] is not block
        or not any(hook[1] is state["marker"] for hook in conn.run_on_commit)
    ):
        marker = functools.partial(_noop)
        transaction.on_commit(marker)
        state = {"block": block, "marker": marker, "rank": -1}
        conn._terminarz_locks = state  # type: ignore[attr-defined]
    return state


def note_locked(kind: str) -> None:
    """Record a lock taken by other means (a slot row lock) so later calls check the order."""
    _check_order(kind)


def _check_order(kind: str) -> dict:
    if not transaction.get_connection().in_atomic_block:
        raise LockOrderError("lock_objects must run inside a transaction")
    state = _state()
    rank = ORDER.index(kind)
    if rank < state["rank"]:
        raise LockOrderError(f"lock order: {kind} after {ORDER[state['rank']]} (order: {' → '.join(ORDER)})")
    state["rank"] = rank
    return state


def lock_objects(*keys: tuple[str, int], timeout_ms: int = LOCK_TIMEOUT_MS) -> None:
    """Take the locks for `keys` ((kind, int id) pairs) for the rest of the transaction."""
    calls, params = lock_calls(*keys, timeout_ms=timeout_ms)
    if not calls:
        return
    # One round trip: the lock timeout for this transaction, then the locks in order.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", params)


def lock_calls(*keys: tuple[str, int], timeout_ms: int = LOCK_TIMEOUT_MS) -> tuple[str, list]:
    """The order checks of `lock_objects`, then the SQL select list that takes the locks (the
    lock timeout first, the locks in order; "" on SQLite) and its parameters, for a caller that
    takes them within another statement (`booking.capacity.take_slot`: in the RETURNING list
    of the slot's UPDATE, evaluated after the row is locked, so the order holds)."""
    for kind, _value in keys:
        if kind not in SPACES:
            raise ValueError(f"Unknown lock kind {kind!r}")
    ordered = sorted(set(keys), key=lambda k: (ORDER.index(k[0]), k[1]))
    # Check the whole request against what is held before taking anything.
    for kind, _value in ordered:
        _check_order(kind)
    if not ordered or connection.vendor != "postgresql":
        return "", []
    calls = ", ".join(["set_config('lock_timeout', %s, true)"] + ["pg_advisory_xact_lock(%s, %s)"] * len(ordered))
    params: list = [f"{int(timeout_ms)}ms"]
    for kind, value in ordered:
        params += [SPACES[kind], int(value)]
    return calls, params


def lock_many(kind: str, values: Iterable[int]) -> None:
    lock_objects(*((kind, v) for v in values))
