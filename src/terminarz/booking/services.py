"""Booking capability: book a slot, cancel a visit (D3, D7 basic)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from terminarz.core import clock, events
from terminarz.core.audit import record_audit
from terminarz.patients.models import Patient
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot, SlotState

from . import capacity, channels, pipeline, transitions
from .errors import AppointmentNotFound, BookingRefused, InvalidBooking, SlotTaken
from .models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Source
from .notify import notify_patient


def book_appointment(
    slot_id,
    data: dict,
    *,
    source: str = Source.PORTAL,
    actor=None,
    account=None,
    now: dt.datetime | None = None,
    submission_key: str = "",
    language: str = "pl",
) -> Appointment:
    """Book a slot for a patient through the booking pipeline; SlotTaken when someone was
    faster. `account`: the signed-in patient account booking it (D4). `submission_key`: the
    form's one-time key, so sending it twice books once."""
    return pipeline.book(
        pipeline.BookingRequest(
            slot_id=slot_id,
            channel=source,
            data=data,
            actor=actor,
            account=account,
            now=now,
            submission_key=submission_key,
            language=language,
        )
    )


def book_by_client(
    slot_id,
    *,
    channel: str,
    data: dict | None = None,
    patient: Patient | None = None,
    provider_id: int | None = None,
    hold_minutes: int = 0,
    submission_key: str = "",
    actor_label: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """A booking sent by a program (FHIR `$hold` / `$book`): a patient app on the online rules
    (channel "fhir"), or a provider's clinic system (channel "system", `provider_id` its own,
    every slot of it, the patient's record or data matched by PESEL). `hold_minutes`: held
    until the client books it."""
    return pipeline.book(
        pipeline.BookingRequest(
            slot_id=slot_id,
            channel=channel,
            data=data or {},
            patient=patient,
            provider_id=provider_id,
            hold_minutes=hold_minutes,
            submission_key=submission_key,
            actor_label=actor_label,
            now=now,
        )
    )


def book_for_patient(
    slot_id, patient: Patient, *, actor, note: str = "", now: dt.datetime | None = None
) -> Appointment:
    """Desk booking (F2): a registrar books any slot of the provider, call-center-only ones
    included, for a patient record of the same provider."""
    return pipeline.book(
        pipeline.BookingRequest(slot_id=slot_id, channel=Source.DESK, patient=patient, actor=actor, note=note, now=now)
    )


bookable_slot = pipeline.bookable_slot


def slot_is_offered_online(slot: Slot, *, now: dt.datetime) -> bool:
    return channels.offered(slot, Source.PORTAL, now=now)


def alternatives_for(slot: Slot, *, now: dt.datetime, portal: bool):
    return pipeline.alternatives_for(slot, now=now, channel=Source.PORTAL if portal else Source.DESK)


def confirm_held_booking(appointment_id, token: str, *, now: dt.datetime | None = None) -> Appointment:
    """D3 multi-step: the patient clicks the e-mail link in time and the booking is confirmed.
    A hold past its time is expired on the spot and the slot freed."""
    return confirm_hold(get_appointment_by_token(appointment_id, token), now=now)


def confirm_hold(
    appointment: Appointment,
    *,
    now: dt.datetime | None = None,
    actor_label: str = "patient",
    reasons: tuple[str, ...] = pipeline.CORE_HOLDS,
) -> Appointment:
    """Confirm a held booking (the patient's link, or the client that held it books it: FHIR
    `$book`); confirmed already is fine; a hold past its time expires here."""
    now = now or clock.now()
    if appointment.status == AppointmentStatus.CONFIRMED:
        return appointment
    if appointment.status == AppointmentStatus.HELD and appointment.hold_reason == pipeline.HOLD_CONFIRMATION:
        if pipeline.HOLD_CONFIRMATION not in reasons:  # only the e-mail's link proves the address
            raise BookingRefused(
                _("Potwierdź rezerwację linkiem z wiadomości e-mail."),
                errors={"token": [_("Potwierdź rezerwację linkiem z wiadomości e-mail.")]},
            )
    if appointment.status == AppointmentStatus.HELD and appointment.hold_reason not in reasons:
        raise BookingRefused(
            _("Ta rezerwacja zostanie potwierdzona po opłaceniu wizyty."),
            errors={"token": [_("Ta rezerwacja zostanie potwierdzona po opłaceniu wizyty.")]},
        )
    if appointment.status != AppointmentStatus.HELD:
        raise InvalidBooking(
            _("Ta rezerwacja nie jest już aktywna. Wybierz nowy termin."),
            errors={"token": [_("Ta rezerwacja nie jest już aktywna. Wybierz nowy termin.")]},
        )
    with transaction.atomic():
        capacity.lock_slot(appointment.slot_id)
        held = Appointment.objects.select_for_update().select_related("provider").get(pk=appointment.pk)
        if held.status == AppointmentStatus.CONFIRMED:
            return held
        if held.status != AppointmentStatus.HELD or (held.hold_until and held.hold_until < now):
            if held.status == AppointmentStatus.HELD:
                transitions.transition(
                    held, AppointmentStatus.EXPIRED, now=now, actor_label="system", reason="hold expired"
                )
                capacity.release_slot(held.slot_id, held_only=True)
                _announce_released(held.slot_id, held.provider_id, "expired")
            expired = True
        else:
            expired = False
            transitions.transition(held, AppointmentStatus.CONFIRMED, now=now, actor_label=actor_label, hold_until=None)
            capacity.confirm_slot(held.slot_id)
            pipeline.run_confirmed(held, now=now)
    if expired:
        raise InvalidBooking(
            _("Czas na potwierdzenie rezerwacji minął i termin został zwolniony. Wybierz nowy termin."),
            errors={"token": [_("Czas na potwierdzenie rezerwacji minął.")]},
        )
    return held


def _announce_released(slot_id: int, provider_id: int, reason: str) -> None:
    """The slot is free again once this commits: whoever waits for one (the waiting list)
    hears it through the `slot_released` event."""
    events.emit(events.SLOT_RELEASED, slot_id=slot_id, provider_id=provider_id, reason=reason)


def get_appointment_by_token(appointment_id, token: str) -> Appointment:
    """The same "not found" for a wrong id and a wrong token."""
    try:
        pk = int(appointment_id)
    except (TypeError, ValueError):
        raise AppointmentNotFound(_("Nie znaleziono wizyty.")) from None
    appointment = (
        Appointment.objects.select_related("practitioner", "unit__location", "provider").filter(pk=pk).first()
        if 0 < pk < 2**63
        else None
    )
    if appointment is None or not token or not appointment.token_matches(token):
        raise AppointmentNotFound(_("Nie znaleziono wizyty."))
    return appointment


def cancel_appointment_by_patient(
    appointment_id, token: str, *, reason: str = "", now: dt.datetime | None = None
) -> Appointment:
    """Cancel with the secret link from the confirmation e-mail; the slot is free at once."""
    now = now or clock.now()
    appointment = get_appointment_by_token(appointment_id, token)
    if appointment.status not in ACTIVE_STATUSES:
        raise InvalidBooking(
            _("Ta wizyta została już odwołana."), errors={"token": [_("Ta wizyta została już odwołana.")]}
        )
    if appointment.start <= now:
        raise InvalidBooking(
            _("Nie można odwołać wizyty, której termin już minął."),
            errors={"token": [_("Nie można odwołać wizyty, której termin już minął.")]},
        )
    check_cancel_cutoff(appointment, now=now)
    rules = settings_for(appointment.provider_id)
    if rules.cancel_reason_required and not reason.strip():
        raise InvalidBooking(errors={"reason": [_("Podaj powód odwołania wizyty.")]})
    return _cancel(appointment, now=now, actor=None, actor_label="patient", reason=reason, kind="booking_cancelled")


def _cancel(appointment: Appointment, *, now, actor, actor_label: str, reason: str, kind: str) -> Appointment:
    """One cancellation for patient and clinic: status, free slot, message, in one transaction."""
    with transaction.atomic():
        capacity.lock_slot(appointment.slot_id)
        transitions.transition(
            appointment,
            AppointmentStatus.CANCELLED,
            now=now,
            actor=actor,
            actor_label=actor_label,
            reason=reason[:300],
            cancelled_at=now,
            cancel_reason=reason[:300],
        )
        capacity.release_slot(appointment.slot_id)
        _announce_released(appointment.slot_id, appointment.provider_id, "cancelled")
        notify_patient(
            appointment,
            kind=kind,
            template=f"booking/email/{kind.removeprefix('booking_')}",
            key=f"booking_cancelled:{appointment.pk}",
            sms=kind == "booking_cancelled_by_clinic",
        )
    return appointment


def expire_hold(appointment_id: int, *, now: dt.datetime | None = None) -> bool:
    """Expire one held booking past its hold time and free its slot.
    Locks the slot before the appointment, the same order as booking, so they never deadlock."""
    now = now or clock.now()
    with transaction.atomic():
        slot_id = (
            Appointment.objects.filter(pk=appointment_id, status=AppointmentStatus.HELD)
            .values_list("slot_id", flat=True)
            .first()
        )
        if slot_id is None:
            return False
        capacity.lock_slot(slot_id)
        appointment = (
            Appointment.objects.select_for_update()
            .filter(pk=appointment_id, status=AppointmentStatus.HELD, hold_until__lt=now)
            .first()
        )
        if appointment is None:
            return False
        transitions.transition(
            appointment, AppointmentStatus.EXPIRED, now=now, actor_label="system", reason="hold expired"
        )
        capacity.release_slot(slot_id, held_only=True)
        _announce_released(slot_id, appointment.provider_id, "expired")
    return True


def cancel_appointment_by_clinic(
    appointment: Appointment, *, actor, reason: str, now: dt.datetime | None = None, actor_label: str = ""
) -> Appointment:
    """F4: the clinic cancels a visit with a reason; the slot is free at once; the patient is told.
    `actor` is the staff user, or None with `actor_label` naming the clinic system that did it."""
    now = now or clock.now()
    reason = reason.strip()
    if not reason:
        raise InvalidBooking(errors={"reason": [_("Podaj powód odwołania – przekażemy go pacjentowi.")]})
    if appointment.status not in ACTIVE_STATUSES:
        raise InvalidBooking(errors={"reason": [_("Ta wizyta została już odwołana.")]})
    return _cancel(
        appointment,
        now=now,
        actor=actor,
        actor_label=actor_label or f"user:{actor.pk}",
        reason=reason,
        kind="booking_cancelled_by_clinic",
    )


def move_appointment(
    appointment: Appointment, new_slot_id, *, actor, reason: str = "", now: dt.datetime | None = None
) -> Appointment:
    """F4: move a visit to another free slot of the same provider in one transaction: the new
    slot is taken first (so a lost race changes nothing), then the old one is freed."""
    now = now or clock.now()
    if appointment.status not in ACTIVE_STATUSES:
        raise InvalidBooking(errors={"slot": [_("Odwołanej wizyty nie można przenieść.")]})
    new_slot = bookable_slot(new_slot_id, now=now)
    if new_slot.provider_id != appointment.provider_id or new_slot.pk == appointment.slot_id:
        raise InvalidBooking(errors={"slot": [_("Wybierz inny wolny termin.")]})
    old_slot_id, old_start = appointment.slot_id, appointment.start
    # A visit still held (waiting for a confirmation or a payment) keeps waiting on its new slot,
    # until the same time – which must come before the new start.
    hold_until = appointment.hold_until if appointment.status == AppointmentStatus.HELD else None
    if hold_until is not None and hold_until > new_slot.start:
        raise InvalidBooking(
            errors={
                "slot": [
                    _(
                        "Ta wizyta czeka na potwierdzenie lub płatność do %(until)s – wybierz termin po tej chwili "
                        "albo najpierw zmień termin płatności."
                    )
                    % {"until": clock.local_text(hold_until)}
                ]
            }
        )
    try:
        with transaction.atomic():
            if not capacity.take_slot(new_slot.pk, now=now, hold_until=hold_until):
                raise SlotTaken()
            capacity.lock_slot(old_slot_id)
            capacity.lock_practitioner(new_slot.practitioner_id)
            if capacity.practitioner_busy(new_slot, except_appointment=appointment.pk):
                raise SlotTaken()
            updated = Appointment.objects.filter(pk=appointment.pk, status=appointment.status).update(
                slot=new_slot,
                practitioner_id=new_slot.practitioner_id,
                unit_id=new_slot.unit_id,
                start=new_slot.start,
                end=new_slot.end,
            )
            if updated != 1:
                raise InvalidBooking(errors={"slot": [_("Wizyta zmieniła się w międzyczasie. Odśwież stronę.")]})
            capacity.release_slot(old_slot_id)
            _announce_released(old_slot_id, appointment.provider_id, "moved")
            appointment.refresh_from_db()
            entry = transitions.record_move(
                appointment, old_start, now=now, actor=actor, actor_label=f"user:{actor.pk}", reason=reason
            )
            notify_patient(
                appointment,
                kind="booking_moved",
                template="booking/email/moved",
                key=f"booking_moved:{entry.pk}",
                context={"appointment": appointment.pk, "old_start": old_start.isoformat()},
            )
    except IntegrityError:
        raise SlotTaken(alternatives=alternatives_for(new_slot, now=now, portal=False)) from None
    except SlotTaken:
        raise SlotTaken(alternatives=alternatives_for(new_slot, now=now, portal=False)) from None
    return appointment


def check_cancel_cutoff(appointment: Appointment, *, now: dt.datetime) -> None:
    """D7: online changes end N hours before the visit (provider setting)."""
    rules = settings_for(appointment.provider_id)
    if rules.cancel_cutoff_hours and appointment.start - dt.timedelta(hours=rules.cancel_cutoff_hours) < now:
        message = _("Wizytę można zmienić lub odwołać online najpóźniej %(h)d godz. przed jej rozpoczęciem.") % {
            "h": rules.cancel_cutoff_hours
        }
        phone = appointment.provider.phone
        if phone:
            message += " " + _("Zadzwoń do placówki: %(phone)s.") % {"phone": phone}
        raise BookingRefused(message, errors={"token": [message]})


def reschedule_options(appointment: Appointment, *, now: dt.datetime, days: int = 60, limit: int = 60):
    """Free portal slots the patient may move a visit to: same practitioner, unit and financing."""
    return [
        slot
        for slot in channels.open_slots_for(Source.PORTAL, now)
        .filter(
            practitioner_id=appointment.practitioner_id,
            unit_id=appointment.unit_id,
            financing=appointment.slot.financing,
            start__lt=now + dt.timedelta(days=days),
        )
        .exclude(pk=appointment.slot_id)
        .select_related("practitioner", "unit__location", "block")
        .order_by("start")[: limit * 2]
        if slot_is_offered_online(slot, now=now)
    ][:limit]


def reschedule_by_patient(appointment: Appointment, new_slot_id, *, account, now: dt.datetime | None = None):
    """E5: the patient moves a confirmed visit to another free slot of the same practitioner
    and service; the cut-off applies as for cancelling."""
    now = now or clock.now()
    if appointment.status != AppointmentStatus.CONFIRMED or appointment.start <= now:
        raise InvalidBooking(errors={"slot": [_("Tej wizyty nie można już zmienić.")]})
    check_cancel_cutoff(appointment, now=now)
    allowed = {slot.pk for slot in reschedule_options(appointment, now=now, limit=500)}
    try:
        wanted = int(new_slot_id)
    except (TypeError, ValueError):
        wanted = 0
    if wanted not in allowed:
        raise InvalidBooking(errors={"slot": [_("Wybierz jeden z wolnych terminów tego lekarza.")]})
    return move_appointment(appointment, wanted, actor=account, reason=_("Zmiana terminu przez pacjenta"), now=now)


def day_off(schedule, day: dt.date, *, actor) -> list[Slot]:
    """C3: block every free slot of the day; booked visits stay and are returned for the
    registrar to move or cancel."""
    with transaction.atomic():
        slots = Slot.objects.filter(schedule=schedule, day=day)
        blocked = capacity.block_free_slots(slots)
        conflicts = list(slots.filter(state__in=[SlotState.BOOKED, SlotState.HELD]).order_by("start"))
        record_audit(
            provider_id=schedule.provider_id,
            action="schedule.day_off",
            target=schedule,
            summary=_("Dzień wolny %(d)s: zablokowano %(n)d terminów") % {"d": day.isoformat(), "n": blocked},
            actor=actor,
        )
    return conflicts


def set_slot_blocked(
    slot: Slot, blocked: bool, *, actor, now: dt.datetime | None = None, actor_label: str = ""
) -> bool:
    """C3: take one free future slot off the calendar, or give a blocked one back."""
    now = now or clock.now()
    if slot.start <= now:
        return False
    with transaction.atomic():
        if blocked:
            changed = capacity.block_free_slots(Slot.objects.filter(pk=slot.pk)) == 1
        else:
            changed = capacity.unblock_slot(slot.pk)
        if changed:
            record_audit(
                provider_id=slot.provider_id,
                action="slot.blocked" if blocked else "slot.unblocked",
                target=slot,
                summary=(_("Zablokowano termin %(t)s") if blocked else _("Odblokowano termin %(t)s"))
                % {"t": clock.local_text(slot.start)},
                actor=actor,
                actor_label=actor_label,
            )
    return changed
