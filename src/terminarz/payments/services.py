"""Online payments of visits (H4–H6, H8, refunds): every change of a payment goes through here.

Lock order (core.locks): slot → appointment → payment. Settling a payment and expiring an
unpaid booking both lock the slot row first, so they run one after the other: either the
payment is settled first (the booking is confirmed and the expiry finds nothing to do) or the
booking was cancelled first (the payment arrives as "late" and is refunded automatically)."""

import datetime as dt
import logging
import secrets
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from terminarz.booking import capacity, pipeline, transitions
from terminarz.booking.models import Appointment, AppointmentStatus
from terminarz.booking.notify import notify_patient
from terminarz.core import batch, clock, events, locks
from terminarz.core.audit import record_audit
from terminarz.notifications.services import queue_email_and_sms

from . import gateways
from .gateways.base import GatewayError, Notice, NoticeStatus, NotificationRejected, Started, StartRequest
from .gateways.przelewy24 import refunds_uuid_for
from .machines import PAYMENT
from .models import Payment, PaymentAttempt, PaymentEvent, PaymentSettings, PaymentStatus, Refund, RefundStatus
from .rules import Decision

log = logging.getLogger(__name__)
S = PaymentStatus
GROSZ = Decimal("0.01")


class PaymentError(Exception):
    """A payment action that cannot be done now (Polish message for the user)."""

    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.errors = {field: [message]}


def settings_for(provider_id: int) -> PaymentSettings:
    found = PaymentSettings.objects.filter(provider_id=provider_id).first()
    return found if found is not None else PaymentSettings(provider_id=provider_id)


def _event(payment: Payment | None, kind: str, *, now, actor=None, text: str = "", provider_id=None, **details):
    """A line of the payment's history: written at once, or with the booking's other rows."""
    event = PaymentEvent(
        payment=payment,
        provider_id_copy=payment.provider_id if payment is not None else provider_id,
        kind=kind,
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        text=text[:300],
        details=details,
    )
    batch.insert(event)
    return event


def _audit(payment: Payment, action: str, summary: str, *, actor, now, **changes) -> None:
    """A staff member's change of one visit's payment, in the provider's audit log."""
    record_audit(
        provider_id=payment.provider_id,
        action=f"payment.{action}",
        target=payment,
        summary=summary,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=f"user:{actor.pk}" if getattr(actor, "pk", None) else "system",
        changes=changes,
        at=now,
    )


def pay_url(payment: Payment) -> str:
    return (
        django_settings.SITE_URL.rstrip("/") + reverse("portal:payment", args=[payment.pk]) + f"?t={payment.link_token}"
    )


# -- created with the booking ---------------------------------------------------------------


def create_payment(
    appointment: Appointment,
    decision: Decision,
    *,
    settings: PaymentSettings,
    deadline,
    now,
    actor=None,
    service=None,
) -> Payment:
    """The visit's payment, written in the booking's transaction; the link goes out with it."""
    payment = Payment.objects.create(
        provider_id=appointment.provider_id,
        appointment=appointment,
        status=S.PENDING,
        required=decision.mandatory,
        reason=decision.reason,
        price=decision.price,
        amount=decision.amount,
        amount_kind=decision.amount_kind,
        service=service,
        deadline=deadline,
        gateway=settings.gateway,
    )
    PAYMENT.created(payment, now=now, actor=actor, actor_label=f"user:{actor.pk}" if actor is not None else "system")
    _event(payment, PaymentEvent.Kind.CREATED, now=now, actor=actor, reason=decision.reason)
    if payment.required or settings.optional_links:
        send_link(payment, settings=settings, now=now, actor=actor)
    return payment


def send_link(
    payment: Payment, *, settings: PaymentSettings | None = None, now=None, actor=None, key: str = ""
) -> bool:
    """The payment link by e-mail and/or SMS, as the provider set it (H5)."""
    settings = settings or settings_for(payment.provider_id)
    now = now or clock.now()
    appointment = payment.appointment
    channels = []
    if settings.link_email and appointment.email:
        channels.append("email")
    if settings.link_sms and appointment.phone:
        channels.append("sms")
    if not channels:
        return False
    kind = "payment_link" if payment.required else "payment_optional"
    queue_email_and_sms(
        provider=appointment.provider,
        kind=kind,
        template=f"payments/email/{kind.removeprefix('payment_')}",
        context={"payment": payment.pk},
        key=key or f"{kind}:{payment.pk}",
        email=appointment.email if "email" in channels else "",
        phone=appointment.phone if "sms" in channels else "",
        patient=appointment.patient,
    )
    _event(payment, PaymentEvent.Kind.LINK_SENT, now=now, actor=actor, text=", ".join(channels))
    if getattr(actor, "pk", None) and key:  # sent again by a staff member
        _audit(
            payment, "link_sent", f"Płatność #{payment.pk}: wysłano link ({', '.join(channels)})", actor=actor, now=now
        )
    return True


# -- the patient goes to the gateway -------------------------------------------------------


def new_session_id(payment: Payment) -> str:
    """Letters and digits only, short: valid as P24 sessionId and Autopay OrderID."""
    return f"TZ{payment.pk}X{secrets.token_hex(6).upper()}"


def start_payment(payment: Payment, *, now=None, language: str = "pl") -> Started:
    """A new transaction at the provider's gateway; where to send the patient (a redirect, or a
    form to POST)."""
    now = now or clock.now()
    if payment.status not in (S.PENDING, S.WAIVED) or payment.appointment.status not in (
        AppointmentStatus.HELD,
        AppointmentStatus.CONFIRMED,
    ):
        raise PaymentError(_("Ta płatność nie jest już aktywna."))
    if payment.required and payment.deadline and payment.deadline <= now:
        raise PaymentError(_("Termin płatności minął. Rezerwacja zostanie anulowana."))
    gateway = gateways.get(payment.gateway)
    attempt = PaymentAttempt.objects.create(
        payment=payment, session_id="pending", gateway=payment.gateway, amount=payment.amount, created_at=now
    )
    attempt.session_id = new_session_id(payment) + f"N{attempt.pk}"
    appointment = payment.appointment
    site = django_settings.SITE_URL.rstrip("/")
    started = gateway.start(
        StartRequest(
            session_id=attempt.session_id,
            amount=payment.amount,
            description=_("Wizyta %(ref)s – %(clinic)s")
            % {"ref": appointment.reference, "clinic": appointment.provider.name},
            email=appointment.email or appointment.provider.email or "pacjent@example.invalid",
            return_url=site + reverse("portal:payment-return", args=[payment.pk]) + f"?t={payment.return_token}",
            notify_url=site + reverse("portal:payment-notify", args=[payment.gateway]),
            language=language,
        )
    )
    attempt.reference = started.reference[:100]
    attempt.save(update_fields=["session_id", "reference"])
    _event(payment, PaymentEvent.Kind.STARTED, now=now, session=attempt.session_id)
    return started


# -- notifications from the gateway --------------------------------------------------------


def handle_notification(gateway_name: str, body: bytes, content_type: str, *, now=None):
    """A gateway's notification: verified, checked against our records, applied once.
    Returns the protocol's answer (`gateways.base.Answer`)."""
    now = now or clock.now()
    gateway = gateways.get(gateway_name)
    try:
        notices = gateway.parse_notification(body, content_type)
    except NotificationRejected as exc:
        _event(None, PaymentEvent.Kind.REJECTED, now=now, text=exc.code, gateway=gateway_name, code=exc.code)
        log.warning("payment notification rejected: %s (%s)", exc.code, gateway_name)
        from .gateways.base import Answer

        return Answer(400, "text/plain", exc.code.encode())
    accepted = [apply_notice(gateway_name, notice, now=now) for notice in notices]
    return gateway.answer(notices, accepted)


def _reject(attempt: PaymentAttempt | None, code: str, notice: Notice, *, now, gateway_name: str) -> bool:
    payment = attempt.payment if attempt is not None else None
    _event(
        payment,
        PaymentEvent.Kind.REJECTED,
        now=now,
        text=code,
        code=code,
        gateway=gateway_name,
        session=notice.session_id[:60],
        amount=str(notice.amount),
        currency=notice.currency[:5],
    )
    log.warning("payment notification ignored: %s", code)
    return False


def apply_notice(gateway_name: str, notice: Notice, *, now) -> bool:
    attempt = (
        PaymentAttempt.objects.select_related("payment")
        .filter(session_id=notice.session_id, gateway=gateway_name)
        .first()
    )
    if attempt is None:
        return _reject(None, "unknown_session", notice, now=now, gateway_name=gateway_name)
    if notice.currency != "PLN":
        return _reject(attempt, "wrong_currency", notice, now=now, gateway_name=gateway_name)
    if "refundsUuid" in notice.extra:  # a refund's notification (refunded or rejected)
        return _refund_done(attempt.payment, notice, now=now)
    if notice.status != NoticeStatus.PAID:
        _event(attempt.payment, PaymentEvent.Kind.NOTIFIED, now=now, text=notice.status, session=notice.session_id)
        return True
    if notice.amount != attempt.amount:
        return _reject(attempt, "wrong_amount", notice, now=now, gateway_name=gateway_name)
    if attempt.paid_at is not None:
        return True  # applied already: a replayed notification changes nothing and is acknowledged
    try:
        verified = gateways.get(gateway_name).confirm(notice)
    except GatewayError:
        raise  # the gateway will notify again
    if not verified:
        return _reject(attempt, "not_verified", notice, now=now, gateway_name=gateway_name)
    settle(attempt, notice, now=now)
    return True


def _lock(payment_id: int) -> tuple[Appointment, Payment]:
    """Slot row → appointment → payment, in the documented order."""
    appointment_id, slot_id = (
        Payment.objects.filter(pk=payment_id).values_list("appointment_id", "appointment__slot_id").get()
    )
    capacity.lock_slot(slot_id)
    locks.lock_objects(("appointment", appointment_id), ("payment", payment_id))
    appointment = Appointment.objects.select_for_update().select_related("provider", "slot").get(pk=appointment_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    payment.appointment = appointment
    return appointment, payment


def settle(attempt: PaymentAttempt, notice: Notice, *, now) -> Payment:
    """A verified payment: the booking is confirmed, or – cancelled already – the money is
    marked late and refunded."""
    refund_late = False
    with transaction.atomic():
        appointment, payment = _lock(attempt.payment_id)
        updated = PaymentAttempt.objects.filter(pk=attempt.pk, paid_at__isnull=True).update(
            paid_at=now, reference=notice.reference[:100]
        )
        if updated != 1:
            return payment  # applied by a parallel delivery of the same notification
        _event(payment, PaymentEvent.Kind.NOTIFIED, now=now, text=NoticeStatus.PAID, session=notice.session_id)
        if payment.status in (S.PENDING, S.WAIVED) and appointment.status in (
            AppointmentStatus.HELD,
            AppointmentStatus.CONFIRMED,
        ):
            PAYMENT.move(payment, S.PAID, now=now, actor_label="gateway", paid_at=now, paid_amount=notice.amount)
            if appointment.status == AppointmentStatus.HELD:
                transitions.transition(
                    appointment,
                    AppointmentStatus.CONFIRMED,
                    now=now,
                    actor_label="payment",
                    reason=_("opłacona online"),
                    hold_until=None,
                    hold_reason="",
                )
                capacity.confirm_slot(appointment.slot_id)
                pipeline.run_confirmed(appointment, now=now)
        else:
            if payment.status == S.PENDING:
                PAYMENT.move(payment, S.CANCELLED, now=now, actor_label="system", reason="visit no longer active")
            if payment.status in (S.EXPIRED, S.CANCELLED):
                PAYMENT.move(
                    payment,
                    S.LATE,
                    now=now,
                    actor_label="gateway",
                    reason="paid after the booking was cancelled",
                    paid_at=now,
                    paid_amount=notice.amount,
                )
                refund_late = True
            else:
                # A second payment of a visit already paid (or refunded): this money is returned
                # on its own, by its own transaction, and never counts towards the payment.
                PaymentAttempt.objects.filter(pk=attempt.pk).update(surplus=True)
                _event(
                    payment,
                    PaymentEvent.Kind.REFUND,
                    now=now,
                    text=_("druga wpłata – zwrot"),
                    session=notice.session_id,
                )
                transaction.on_commit(lambda: _enqueue_surplus_refund(attempt.pk))
    if refund_late:
        transaction.on_commit(lambda: _enqueue_refund(payment.pk, notice.amount, attempt.pk))
    return payment


def _enqueue_surplus_refund(attempt_id: int) -> None:
    from .tasks import refund_surplus_task

    refund_surplus_task.enqueue(attempt_id)


def refund_surplus(attempt_id: int, *, now=None) -> Refund | None:
    """Return a surplus payment (a second payment of one visit) by its own transaction."""
    now = now or clock.now()
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().select_related("payment").get(pk=attempt_id)
        if not attempt.surplus or attempt.paid_at is None:
            return None
        if Refund.objects.filter(attempt=attempt).exclude(status=RefundStatus.FAILED).exists():
            return None
        refund = Refund.objects.create(
            payment=attempt.payment,
            attempt=attempt,
            amount=attempt.amount,
            request_id=f"R{attempt.payment_id}S{secrets.token_hex(8).upper()}",
            reason=_("druga wpłata za tę samą wizytę")[:200],
            requested_at=now,
        )
    transaction.on_commit(lambda: _enqueue_refund_call(refund.pk))
    return refund


def _enqueue_refund(payment_id: int, amount: Decimal, attempt_id: int) -> None:
    from .tasks import refund_late_payment_task

    refund_late_payment_task.enqueue(payment_id, str(amount), attempt_id)


# -- the deadline passes ---------------------------------------------------------------------


def expire_unpaid(payment_id: int, *, now=None) -> bool:
    """Cancel a booking whose payment did not come by the deadline: the slot is free, the
    patient is told ("anulowano z powodu braku płatności"), the waiting list hears of the slot."""
    now = now or clock.now()
    with transaction.atomic():
        appointment, payment = _lock(payment_id)
        if payment.status != S.PENDING or not payment.required or payment.deadline is None or payment.deadline > now:
            return False
        if appointment.status == AppointmentStatus.HELD:
            reason = _("brak płatności online w terminie")
            transitions.transition(
                appointment,
                AppointmentStatus.CANCELLED,
                now=now,
                actor_label="system",
                reason=reason,
                cancelled_at=now,
                cancel_reason=reason,
                hold_until=None,
            )
            capacity.release_slot(appointment.slot_id, held_only=True)
            events.emit(
                events.SLOT_RELEASED, slot_id=appointment.slot_id, provider_id=appointment.provider_id, reason="unpaid"
            )
            settings = settings_for(appointment.provider_id)
            notify_patient(
                appointment,
                kind="payment_cancelled",
                template="payments/email/cancelled",
                key=f"payment_cancelled:{payment.pk}",
                context={"payment": payment.pk},
                sms=settings.cancel_sms,
            )
        PAYMENT.move(payment, S.EXPIRED, now=now, actor_label="system", reason="deadline passed")
    return True


def due_for_expiry(now) -> list[int]:
    return list(
        Payment.objects.filter(status=S.PENDING, required=True, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)[:500]
    )


# -- the visit ends another way -------------------------------------------------------------


def appointment_ended(appointment_id: int, *, by: str, now=None) -> None:
    """The visit was cancelled or expired (by the patient, the clinic, a take-over): a payment
    still due is cancelled; a paid one is refunded by the refund policy or left to the clinic."""
    now = now or clock.now()
    payment_id = Payment.objects.filter(appointment_id=appointment_id).values_list("pk", flat=True).first()
    if payment_id is None:
        return
    refund: Decimal | None = None
    with transaction.atomic():
        appointment, payment = _lock(payment_id)
        if appointment.status not in (AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED):
            return
        if payment.status == S.PENDING:
            late = payment.required and payment.deadline is not None and payment.deadline <= now
            PAYMENT.move(payment, S.EXPIRED if late else S.CANCELLED, now=now, actor_label="system", reason=by)
        elif payment.status == S.PAID and payment.refundable > 0:
            settings = settings_for(payment.provider_id)
            clinic = by.startswith("user:") and by != f"user:{appointment.account_id}"
            cancelled_at = appointment.cancelled_at or now
            early = appointment.start - cancelled_at >= dt.timedelta(hours=settings.refund_hours)
            if clinic or early:
                refund = payment.refundable
            else:
                Payment.objects.filter(pk=payment.pk).update(refund_decision_due=True)
                _event(payment, PaymentEvent.Kind.REFUND, now=now, text="decision due")
    if refund is not None:
        try:
            request_refund(payment, refund, reason=_("odwołanie wizyty"), now=now)
        except PaymentError as exc:
            _refund_left_to_clinic(payment.pk, exc.message, now=now)


def _refund_left_to_clinic(payment_id: int, why: str, *, now) -> None:
    """An automatic refund that could not be ordered: the registrar sees it ("zwrot do decyzji")."""
    with transaction.atomic():
        Payment.objects.filter(pk=payment_id).update(refund_decision_due=True)
        payment = Payment.objects.get(pk=payment_id)
        _event(
            payment, PaymentEvent.Kind.REFUND, now=now, text=_("zwrot automatyczny nieudany: %(why)s") % {"why": why}
        )


# -- refunds ---------------------------------------------------------------------------------


def request_refund(payment: Payment, amount: Decimal, *, reason: str, actor=None, now=None) -> Refund:
    """Return `amount` of a paid payment through its gateway (full or partial)."""
    now = now or clock.now()
    if amount != amount.quantize(GROSZ) or amount <= 0:
        raise PaymentError(
            _("Podaj kwotę zwrotu większą od zera, z najwyżej dwoma miejscami po przecinku."), field="amount"
        )
    with transaction.atomic():
        _appointment, payment = _lock(payment.pk)
        if payment.status not in (S.PAID, S.PARTIALLY_REFUNDED, S.LATE):
            raise PaymentError(_("Tej płatności nie można zwrócić."))
        # Refunds already ordered for this payment's own money (a surplus payment's refund is not).
        ordered = payment.refunds.filter(status=RefundStatus.REQUESTED, attempt__isnull=True)
        pending = sum((r.amount for r in ordered), start=Decimal("0.00"))
        if amount > payment.refundable - pending:
            raise PaymentError(
                _("Można zwrócić najwyżej %(max)s zł.")
                % {"max": f"{payment.refundable - pending:.2f}".replace(".", ",")},
                field="amount",
            )
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            request_id=f"R{payment.pk}X{secrets.token_hex(8).upper()}",
            reason=reason[:200],
            requested_by=actor if getattr(actor, "pk", None) else None,
            requested_at=now,
        )
        Payment.objects.filter(pk=payment.pk).update(refund_decision_due=False)
        _event(payment, PaymentEvent.Kind.REFUND, now=now, actor=actor, text=f"{amount} zł", request=refund.request_id)
        _audit(
            payment,
            "refund_requested",
            f"Płatność #{payment.pk}: zlecono zwrot {amount} zł",
            actor=actor,
            now=now,
            amount=str(amount),
        )
    transaction.on_commit(lambda: _enqueue_refund_call(refund.pk))
    return refund


def _enqueue_refund_call(refund_id: int) -> None:
    from .tasks import call_refund_task

    call_refund_task.enqueue(refund_id)


def call_refund(refund_id: int) -> bool:
    """Ask the gateway to return the money (a task; retried on GatewayError)."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.REQUESTED or refund.reference:
        return False
    payment = refund.payment
    attempt = (
        refund.attempt or payment.attempts.filter(paid_at__isnull=False, surplus=False).order_by("-paid_at").first()
    )
    if attempt is None:
        Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED, error="no paid transaction")
        return False
    site = django_settings.SITE_URL.rstrip("/")
    started = gateways.get(payment.gateway).refund(
        session_id=attempt.session_id,
        reference=attempt.reference,
        amount=refund.amount,
        request_id=refund.request_id,
        notify_url=site + reverse("portal:payment-notify", args=[payment.gateway]),
    )
    Refund.objects.filter(pk=refund.pk).update(reference=started.reference[:100])
    if started.done:
        finish_refund(refund.pk, now=clock.now())
    return True


def _refund_done(payment: Payment, notice: Notice, *, now) -> bool:
    """A gateway's word on a refund: the refund is found by the signed reference (P24's
    refundsUuid, derived from our request id) and must be for the same amount."""
    signed = str(notice.extra.get("refundsUuid") or "")
    refund = next(
        (
            r
            for r in payment.refunds.filter(status=RefundStatus.REQUESTED)
            if signed and refunds_uuid_for(r.request_id) == signed
        ),
        None,
    )
    if refund is None:
        return _reject(None, "unknown_refund", notice, now=now, gateway_name=payment.gateway)
    if refund.amount != notice.amount:
        return _reject(None, "wrong_amount", notice, now=now, gateway_name=payment.gateway)
    if notice.status != NoticeStatus.REFUNDED:
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
            status=RefundStatus.FAILED, error="rejected by the gateway"
        )
        Payment.objects.filter(pk=payment.pk).update(refund_decision_due=True)
        _event(payment, PaymentEvent.Kind.REFUND, now=now, text=_("zwrot odrzucony przez operatora"))
        return True
    finish_refund(refund.pk, now=now)
    return True


def finish_refund(refund_id: int, *, now) -> None:
    with transaction.atomic():
        refund = Refund.objects.select_related("attempt").get(pk=refund_id)
        _appointment, payment = _lock(refund.payment_id)
        updated = Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
            status=RefundStatus.DONE, done_at=now
        )
        if updated != 1:
            return
        if refund.attempt is not None and refund.attempt.surplus:
            _event(payment, PaymentEvent.Kind.REFUND, now=now, text=_("zwrócono drugą wpłatę"))
            return
        refunded = payment.refunded_amount + refund.amount
        Payment.objects.filter(pk=payment.pk).update(refunded_amount=refunded)
        payment.refunded_amount = refunded
        full = refunded >= payment.paid_amount
        if payment.status == S.LATE or (payment.status in (S.PAID, S.PARTIALLY_REFUNDED) and full):
            PAYMENT.move(payment, S.REFUNDED, now=now, actor_label="gateway")
        elif payment.status == S.PAID:
            PAYMENT.move(payment, S.PARTIALLY_REFUNDED, now=now, actor_label="gateway")


# -- the clinic changes one visit's payment (H6) --------------------------------------------


def waive(payment: Payment, *, actor, reason: str, now=None) -> Payment:
    """Release the patient from paying (VIP): a held booking is confirmed at once."""
    now = now or clock.now()
    reason = reason.strip()
    if not reason:
        raise PaymentError(_("Podaj powód zwolnienia z płatności."), field="reason")
    with transaction.atomic():
        appointment, payment = _lock(payment.pk)
        if payment.status != S.PENDING:
            raise PaymentError(_("Zwolnić z płatności można tylko wtedy, gdy płatność jeszcze oczekuje."))
        PAYMENT.move(payment, S.WAIVED, now=now, actor=actor, reason=reason[:300])
        _event(
            payment,
            PaymentEvent.Kind.CHANGED,
            now=now,
            actor=actor,
            text=_("zwolniono z płatności: %(r)s") % {"r": reason},
        )
        if appointment.status == AppointmentStatus.HELD:
            transitions.transition(
                appointment,
                AppointmentStatus.CONFIRMED,
                now=now,
                actor=actor,
                actor_label=f"user:{actor.pk}",
                reason=_("zwolniona z płatności"),
                hold_until=None,
                hold_reason="",
            )
            capacity.confirm_slot(appointment.slot_id)
            pipeline.run_confirmed(appointment, now=now)
    return payment


def change_deadline(payment: Payment, new_deadline: dt.datetime, *, actor, resend: bool, now=None) -> Payment:
    """A new deadline for one visit's payment (and its link); the hold follows it."""
    now = now or clock.now()
    with transaction.atomic():
        appointment, payment = _lock(payment.pk)
        if payment.status != S.PENDING or not payment.required:
            raise PaymentError(_("Termin można zmienić tylko dla płatności obowiązkowej, która jeszcze oczekuje."))
        if new_deadline <= now:
            raise PaymentError(_("Nowy termin płatności musi być w przyszłości."), field="deadline")
        if new_deadline > appointment.start:
            raise PaymentError(_("Termin płatności nie może być późniejszy niż początek wizyty."), field="deadline")
        old = payment.deadline
        Payment.objects.filter(pk=payment.pk).update(deadline=new_deadline, reminded_at=None)
        payment.deadline = new_deadline
        if appointment.status == AppointmentStatus.HELD:
            Appointment.objects.filter(pk=appointment.pk).update(hold_until=new_deadline)
            capacity.hold_taken_slot(appointment.slot_id, until=new_deadline)
        _event(
            payment,
            PaymentEvent.Kind.CHANGED,
            now=now,
            actor=actor,
            text=_("nowy termin płatności: %(when)s") % {"when": clock.local_text(new_deadline)},
            old=clock.local_text(old) if old else "",
        )
        _audit(
            payment,
            "deadline_changed",
            f"Płatność #{payment.pk}: nowy termin płatności {clock.local_text(new_deadline)}",
            actor=actor,
            now=now,
            deadline=[clock.local_text(old) if old else "", clock.local_text(new_deadline)],
        )
        if resend:
            send_link(payment, now=now, actor=actor, key=f"payment_link:{payment.pk}:{int(new_deadline.timestamp())}")
    return payment


# -- reminders -------------------------------------------------------------------------------


def send_due_reminders(now=None) -> int:
    """A reminder before the deadline, once, on the link's channels (provider setting)."""
    now = now or clock.now()
    sent = 0
    candidates = Payment.objects.filter(
        status=S.PENDING, required=True, reminded_at__isnull=True, deadline__gt=now
    ).select_related("appointment__provider", "appointment__patient")
    for payment in candidates[:500]:
        settings = settings_for(payment.provider_id)
        deadline = payment.deadline
        assert deadline is not None  # required payments have one
        if not settings.reminder_hours or deadline - dt.timedelta(hours=settings.reminder_hours) > now:
            continue
        with transaction.atomic():
            if Payment.objects.filter(pk=payment.pk, reminded_at__isnull=True).update(reminded_at=now) != 1:
                continue
            appointment = payment.appointment
            queue_email_and_sms(
                provider=appointment.provider,
                kind="payment_reminder",
                template="payments/email/reminder",
                context={"payment": payment.pk},
                key=f"payment_reminder:{payment.pk}",
                email=appointment.email if settings.link_email else "",
                phone=appointment.phone if settings.link_sms else "",
                patient=appointment.patient,
            )
            _event(payment, PaymentEvent.Kind.REMINDER_SENT, now=now)
            sent += 1
    return sent
