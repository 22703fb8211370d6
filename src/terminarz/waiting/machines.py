"""Status rules of the waiting list and the NFZ waiting queue on `core.statemachine`.

Every status write goes through `ENTRY`, `OFFER` or `QUEUE` (compare-and-set, recorded as
`core.StateTransition`); a refused one raises `TransitionRefused` with a Polish message. The
machines write no audit entries of their own: the back-office actions keep theirs
("queue.added", "queue.changed", "waitlist.removed") with the details the machine does not
know (category, note), and the system moves (offers, bookings) are recorded as transitions.

Bulk writes: `expire_due_offers` moves every overdue offer at once (offered → expired only,
recorded in one `bulk_create`); `waiting.receivers.withdraw_erased_account` empties an erased
account's entries in one UPDATE (any status → cancelled, with the contact data; not a move a
person makes, so it stays outside the table)."""

import datetime as dt

from django.db import transaction

from terminarz.core.models import StateTransition
from terminarz.core.statemachine import Machine

from .models import QueueEntry, WaitlistEntry, WaitlistOffer

E = WaitlistEntry.Status
O = WaitlistOffer.Status  # noqa: E741
Q = QueueEntry.Status

ENTRY = Machine(
    WaitlistEntry,
    transitions={
        "": {E.WAITING},
        E.WAITING: {E.BOOKED, E.CANCELLED},  # accepted an offer / left (link, back-office)
        E.BOOKED: set(),
        E.CANCELLED: set(),
    },
    subject="wpisu na listę rezerwową",
    name="waitlist",
    audit=False,
)

OFFER = Machine(
    WaitlistOffer,
    transitions={
        "": {O.OFFERED},
        O.OFFERED: {O.ACCEPTED, O.GONE, O.EXPIRED},  # the first to accept / another was faster / too late
        O.ACCEPTED: set(),
        O.GONE: set(),
        O.EXPIRED: set(),
    },
    subject="propozycji terminu",
    name="waitlist_offer",
    audit=False,
)

QUEUE = Machine(
    QueueEntry,
    transitions={
        "": {Q.WAITING, Q.SCHEDULED},  # desk entry / first-time NFZ visit booked online
        Q.WAITING: {Q.SCHEDULED, Q.REMOVED},
        Q.SCHEDULED: {Q.WAITING, Q.REMOVED},  # the visit fell through: back in the queue
        Q.REMOVED: {Q.WAITING},  # struck off by mistake: restored
    },
    subject="wpisu w kolejce oczekujących",
    name="queue",
    audit=False,
)


def expire_due_offers(*, now: dt.datetime) -> int:
    """Bulk: every offer still open past its time becomes expired (offered → expired only);
    each recorded as a transition. Rows locked by an acceptance in progress are skipped (it
    decides them)."""
    with transaction.atomic():
        due = list(
            WaitlistOffer.objects.select_for_update(skip_locked=True)
            .filter(status=O.OFFERED, expires_at__lte=now)
            .values_list("pk", flat=True)
        )
        if not due:
            return 0
        OFFER.check(O.OFFERED, O.EXPIRED)
        expired = WaitlistOffer.objects.filter(pk__in=due, status=O.OFFERED).update(status=O.EXPIRED)
        StateTransition.objects.bulk_create(
            StateTransition(
                model=WaitlistOffer._meta.label_lower,
                object_id=str(pk),
                from_state=O.OFFERED,
                to_state=O.EXPIRED,
                at=now,
                actor_label="system",
                reason="czas na odpowiedź minął",
            )
            for pk in due
        )
    return expired
