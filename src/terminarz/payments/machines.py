"""The payment's state machine (`core.statemachine`): statuses, allowed moves, audit, events.

    pending ─┬→ paid ─→ partially_refunded ─→ refunded
             │     └──────────────────────→ refunded
             ├→ expired ─→ late ─→ refunded     (paid after the booking was cancelled)
             ├→ cancelled ─→ late
             └→ waived ─→ paid                  (a waived patient paid anyway)

`payment_settled` is announced after commit when a payment becomes paid."""

from terminarz.core import events
from terminarz.core.statemachine import Change, Machine

from .models import Payment, PaymentStatus

S = PaymentStatus
PAYMENT_SETTLED = events.define("payment_settled")  # payment_id, provider_id, appointment_id

TRANSITIONS: dict[str, set[str]] = {
    "": {S.PENDING},
    S.PENDING: {S.PAID, S.EXPIRED, S.CANCELLED, S.WAIVED},
    S.PAID: {S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.PARTIALLY_REFUNDED: {S.REFUNDED},
    S.EXPIRED: {S.LATE},
    S.CANCELLED: {S.LATE},
    S.LATE: {S.REFUNDED},
    S.WAIVED: {S.PAID},
    S.REFUNDED: set(),
}


def _announce(change: Change) -> None:
    if change.to_state == S.PAID:
        payment = change.obj
        events.emit(
            PAYMENT_SETTLED,
            payment_id=payment.pk,
            provider_id=payment.provider_id,  # type: ignore[attr-defined]
            appointment_id=payment.appointment_id,  # type: ignore[attr-defined]
        )


PAYMENT = Machine(Payment, transitions=TRANSITIONS, subject="płatności", name="payment", after=[_announce])
