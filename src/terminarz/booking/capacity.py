"""The one capacity primitive: only this module changes a slot's state.

Taking a slot is a single conditional UPDATE inside the caller's transaction, so two racing
requests can never both succeed; the partial unique index on appointments (and on PostgreSQL
an exclusion constraint on practitioner + time) is the last line of defence."""

import datetime as dt
from collections.abc import Sequence

from django.db import connection
from django.db.models import Case, Q, Value, When
from django.db.models.sql import UpdateQuery

from terminarz.core import clock, locks
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.search import open_q

from .models import ACTIVE_STATUSES, Appointment

LockKey = tuple[str, int]


def take_slot(
    slot_id: int, *, now: dt.datetime, hold_until: dt.datetime | None = None, then_lock: Sequence[LockKey] = ()
) -> bool:
    """Mark an open slot booked (or held until a time). False when someone else has it.
    `then_lock`: more `core.locks` keys taken once the slot is ours – on PostgreSQL in the same
    statement (the RETURNING list runs after the row is locked and only when it was updated),
    so taking a slot and the practitioner and person locks is one round trip."""
    new_state = SlotState.HELD if hold_until else SlotState.BOOKED
    locks.note_locked("slot")  # the UPDATE row-locks the slot
    slots = Slot.objects.filter(Q(pk=slot_id) & open_q(now))
    calls, lock_params = locks.lock_calls(*then_lock)
    if not calls:
        return slots.update(state=new_state, hold_until=hold_until, changed_at=now) == 1
    query: UpdateQuery = slots.query.chain(UpdateQuery)  # type: ignore[assignment]
    query.add_update_values({"state": new_state, "hold_until": hold_until, "changed_at": now})
    sql, params = query.get_compiler(slots.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {calls}", (*params, *lock_params))
        return cursor.fetchone() is not None


def hold_open_slot(slot_id: int, *, now: dt.datetime, until: dt.datetime) -> bool:
    """Hold an open slot until a time for someone who has not booked yet (a waiting-list
    offer); it counts as open again once the time passes."""
    return (
        Slot.objects.filter(Q(pk=slot_id) & open_q(now)).update(
            state=SlotState.HELD, hold_until=until, changed_at=clock.now()
        )
        == 1
    )


def release_hold(slot_id: int, *, held_until: dt.datetime, now: dt.datetime) -> bool:
    """Give back a hold made by `hold_open_slot` while it still runs (the offer is being
    accepted: the slot is then booked in the same transaction)."""
    return (
        Slot.objects.filter(pk=slot_id, state=SlotState.HELD, hold_until=held_until, hold_until__gt=now).update(
            state=SlotState.FREE, hold_until=None, changed_at=clock.now()
        )
        == 1
    )


def hold_taken_slot(slot_id: int, *, until: dt.datetime) -> bool:
    """Turn a slot this transaction has just taken into a hold until a time (a booking that
    waits for a payment): search counts it as open again once the time passes."""
    taken = Slot.objects.filter(pk=slot_id, state__in=[SlotState.BOOKED, SlotState.HELD])
    return taken.update(state=SlotState.HELD, hold_until=until, changed_at=clock.now()) == 1


def confirm_slot(slot_id: int) -> bool:
    return (
        Slot.objects.filter(pk=slot_id, state=SlotState.HELD).update(
            state=SlotState.BOOKED, hold_until=None, changed_at=clock.now()
        )
        == 1
    )


def lock_practitioner(practitioner_id: int) -> None:
    """Serialize bookings of one practitioner for the rest of the transaction, taken after the
    slot row (`core.locks` order). Without it two overlapping bookings of different slots both
    insert and then wait on each other in the exclusion constraint: a deadlock."""
    locks.lock_objects(("practitioner", practitioner_id))


def practitioner_busy(slot: Slot, *, except_appointment: int | None = None) -> bool:
    """Whether the practitioner has an active visit overlapping the slot's time (another
    schedule's slot, a moved visit). Asked with the practitioner locked."""
    overlapping = Appointment.objects.filter(
        practitioner_id=slot.practitioner_id, status__in=ACTIVE_STATUSES, start__lt=slot.end, end__gt=slot.start
    )
    if except_appointment is not None:
        overlapping = overlapping.exclude(pk=except_appointment)
    return overlapping.exists()


def lock_slot(slot_id: int) -> None:
    """Row-lock a slot (PostgreSQL); SQLite's IMMEDIATE transactions already serialize writers."""
    locks.note_locked("slot")
    list(Slot.objects.select_for_update().filter(pk=slot_id).values_list("pk", flat=True))


def release_slot(slot_id: int, *, held_only: bool = False) -> bool:
    """Free a booked or held slot again (cancellation, expiry); a slot that no longer fits
    its schedule is blocked instead."""
    state = Case(When(out_of_schedule=True, then=Value(SlotState.BLOCKED)), default=Value(SlotState.FREE))
    states = [SlotState.HELD] if held_only else [SlotState.BOOKED, SlotState.HELD]
    updated = Slot.objects.filter(pk=slot_id, state__in=states).update(
        state=state, hold_until=None, changed_at=clock.now()
    )
    return updated == 1


def block_free_slots(slots) -> int:
    """Take free slots off the calendar (day off, single slot); booked ones are untouched."""
    return slots.filter(state=SlotState.FREE).update(state=SlotState.BLOCKED, changed_at=clock.now())


def unblock_slot(slot_id: int) -> bool:
    return (
        Slot.objects.filter(pk=slot_id, state=SlotState.BLOCKED, out_of_schedule=False).update(
            state=SlotState.FREE, changed_at=clock.now()
        )
        == 1
    )
