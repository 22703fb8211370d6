"""Booking capability: book a slot, cancel a visit (D3, D7 basic)."""

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.notifications.services import queue_email
from terminarz.patients.models import Patient
from terminarz.patients.services import attach_account_card, match_or_create_patient
from terminarz.providers.models import RegistrationSettings, settings_for
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.search import open_slots
from terminarz.waiting.models import QueueEntry
from terminarz.waiting.tasks import offer_when_committed

from . import capacity, transitions
from . import rules as rules_lib
from .errors import AppointmentNotFound, BookingRefused, InvalidBooking, SlotTaken
from .models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Source
from .notify import notify_patient
from .validation import NOTE_MAX, PatientDataForm

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ALTERNATIVES = 5


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def alternatives_for(slot: Slot, *, now: dt.datetime, portal: bool, limit: int = ALTERNATIVES):
    """The next open slots of the same practitioner, earliest first."""
    return list(
        open_slots(now, portal=portal)
        .filter(practitioner_id=slot.practitioner_id)
        .exclude(pk=slot.pk)
        .select_related("practitioner", "unit__location", "block")
        .prefetch_related("practitioner__specializations")
        .order_by("start", "pk")[:limit]
    )


def bookable_slot(slot_id, *, now: dt.datetime, portal: bool) -> Slot:
    """The slot a patient asks for, or InvalidBooking with a field error on "slot"."""
    try:
        slot_pk = int(slot_id)
    except (TypeError, ValueError):
        slot_pk = None
    slot = (
        Slot.objects.select_related("practitioner", "unit__location", "block", "provider").filter(pk=slot_pk).first()
        if slot_pk is not None and 0 < slot_pk < 2**63
        else None
    )
    if slot is None:
        raise InvalidBooking(errors={"slot": [_("Nie ma takiego terminu.")]})
    if slot.start <= now:
        raise InvalidBooking(errors={"slot": [_("Ten termin już minął. Wybierz inny termin.")]})
    return slot


def book_appointment(
    slot_id,
    data: dict,
    *,
    source: str = Source.PORTAL,
    actor=None,
    account=None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book a slot for a patient in one transaction; SlotTaken when someone was faster.
    `account`: the signed-in patient account booking it (D4)."""
    now = now or clock.now()
    portal = source in (Source.PORTAL, Source.API)
    slot = bookable_slot(slot_id, now=now, portal=portal)
    if portal and not slot_is_offered_online(slot, now=now):
        raise InvalidBooking(errors={"slot": [_("Ten termin nie jest dostępny w rejestracji online.")]})
    rules = settings_for(slot.provider_id) if portal else None
    if rules is not None:
        check_registration_open(rules, slot, source=source, account=account)
    requirement = slot.block.requirement_text if slot.block else ""
    form = PatientDataForm(
        data,
        requirement_text=requirement,
        phone_required=bool(rules and rules.phone_required),
        pesel_required=bool(rules and rules.pesel_required),
    )
    if not form.is_valid():
        raise InvalidBooking(errors={k: [str(m) for m in v] for k, v in form.errors.items()})
    cleaned = form.cleaned_data
    hold_until = None
    if rules is not None and rules.multi_step and source == Source.PORTAL:
        hold_until = now + dt.timedelta(minutes=rules.hold_minutes)
    try:
        with transaction.atomic():
            appointment = book_in_transaction(
                slot, cleaned, source=source, actor=actor, now=now, rules=rules, hold_until=hold_until, account=account
            )
    except (SlotTaken, IntegrityError):
        raise SlotTaken(alternatives=alternatives_for(slot, now=now, portal=portal)) from None
    return appointment


def check_registration_open(rules: RegistrationSettings, slot: Slot, *, source: str, account=None) -> None:
    """Registration off, or only for patients signed in to an account (D4)."""
    phone = slot.provider.phone
    contact = _(" Zadzwoń do placówki: %(phone)s.") % {"phone": phone} if phone else ""
    if not rules.online_registration:
        raise BookingRefused(_("Ta placówka nie prowadzi teraz rejestracji online.") + contact)
    if source == Source.PORTAL and not rules.without_account and account is None:
        raise BookingRefused(
            _("Ta placówka przyjmuje rezerwacje online tylko od pacjentów z kontem. Zaloguj się lub załóż konto.")
        )


def slot_is_offered_online(slot: Slot, *, now: dt.datetime) -> bool:
    """Portal rules: published, visible, not call-center-only, first-free-slot-only honoured.
    A slot that is merely taken counts as offered, so the patient hears "zajęty"."""
    if not slot.portal or slot.callcenter_only:
        return False
    if not (slot.practitioner.is_visible_online and slot.unit.is_visible and slot.unit.location.is_visible):
        return False
    if slot.first_free_only:
        earlier_open = open_slots(now, portal=False).filter(
            first_free_only=True, block_id=slot.block_id, day=slot.day, start__lt=slot.start
        )
        if earlier_open.exists():
            return False
    return True


def book_for_patient(
    slot_id, patient: Patient, *, actor, note: str = "", now: dt.datetime | None = None
) -> Appointment:
    """Desk booking (F2): a registrar books any slot of the provider, call-center-only ones
    included, for a patient record of the same provider."""
    now = now or clock.now()
    slot = bookable_slot(slot_id, now=now, portal=False)
    if slot.provider_id != patient.provider_id:
        raise InvalidBooking(errors={"slot": [_("Nie ma takiego terminu.")]})
    if len(note) > NOTE_MAX:
        raise InvalidBooking(errors={"note": [_("Notatka może mieć najwyżej %(n)d znaków.") % {"n": NOTE_MAX}]})
    cleaned = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "email": patient.email or "",
        "phone": patient.phone or "",
        "pesel": patient.pesel or "",
        "note": note,
        "accept_requirements": True,
    }
    try:
        with transaction.atomic():
            return book_in_transaction(slot, cleaned, source=Source.DESK, actor=actor, now=now, patient=patient)
    except (SlotTaken, IntegrityError):
        raise SlotTaken(alternatives=alternatives_for(slot, now=now, portal=False)) from None


def book_in_transaction(
    slot: Slot,
    cleaned: dict,
    *,
    source,
    actor,
    now,
    patient: Patient | None = None,
    rules: RegistrationSettings | None = None,
    hold_until: dt.datetime | None = None,
    account=None,
) -> Appointment:
    if not capacity.take_slot(slot.pk, now=now, hold_until=hold_until):
        raise SlotTaken()
    if slot.state == SlotState.HELD:  # we took over a hold that ran out
        _expire_stale_holds(slot, now=now)
    capacity.lock_practitioner(slot.practitioner_id)
    overlapping = Appointment.objects.filter(
        practitioner_id=slot.practitioner_id,
        status__in=ACTIVE_STATUSES,
        start__lt=slot.end,
        end__gt=slot.start,
    )
    if overlapping.exists():
        raise SlotTaken()
    first_nfz = False
    if rules is not None:
        rules_lib.lock_patient(
            slot.provider_id, cleaned["pesel"], cleaned["email"], account.pk if account is not None else None
        )
        known = rules_lib.known_patient(slot.provider_id, cleaned["pesel"])
        if rules.one_visit_per_specialization:
            rules_lib.check_one_visit_per_specialization(slot, known, now=now, account=account)
        first_nfz = rules_lib.is_first_nfz_visit(slot, known, now=now)
        rules_lib.check_nfz_first_visit(rules, first_nfz)
    patient = patient or match_or_create_patient(
        slot.provider,
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
        email=cleaned["email"],
        phone=cleaned["phone"],
        pesel=cleaned["pesel"],
        account=account,
    )
    appointment = Appointment.objects.create(
        provider_id=slot.provider_id,
        slot=slot,
        practitioner_id=slot.practitioner_id,
        unit_id=slot.unit_id,
        patient=patient,
        start=slot.start,
        end=slot.end,
        status=AppointmentStatus.HELD if hold_until else AppointmentStatus.CONFIRMED,
        hold_until=hold_until,
        nfz_first_time=first_nfz,
        source=source,
        reference=new_reference(),
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
        email=cleaned["email"],
        phone=cleaned["phone"],
        pesel=cleaned["pesel"],
        note=cleaned["note"],
        accepted_requirements=bool(cleaned.get("accept_requirements")),
        booked_by=actor,
        account=account,
    )
    transitions.record_created(appointment, now=now, actor=actor, actor_label=_actor_label(source, actor))
    profile = getattr(account, "patient_profile", None) if account is not None else None
    if profile is not None and profile.card_number and patient.account_id == account.pk:
        attach_account_card(patient, profile.card_number)
    if hold_until:
        queue_email(
            provider=slot.provider,
            kind="booking_hold",
            recipient=appointment.email,
            template="booking/email/hold",
            context={"appointment": appointment.pk},
            idempotency_key=f"booking_hold:{appointment.pk}",
        )
    else:
        _after_confirmed(appointment, rules)
    return appointment


def _after_confirmed(appointment: Appointment, rules: RegistrationSettings | None) -> None:
    """What follows a confirmed booking: the patient's confirmation e-mail, the stable-queue
    entry of a first-time NFZ visit (D6), the clinic's notice of an online booking."""
    if appointment.email:
        queue_email(
            provider=appointment.provider,
            kind="booking_confirmation",
            recipient=appointment.email,
            template="booking/email/confirmation",
            context={"appointment": appointment.pk},
            idempotency_key=f"booking_confirmation:{appointment.pk}",
            patient=appointment.patient,
        )
    if appointment.nfz_first_time:
        QueueEntry.objects.create(
            provider_id=appointment.provider_id,
            unit_id=appointment.unit_id,
            patient_id=appointment.patient_id,
            category=QueueEntry.Category.STABLE,
            status=QueueEntry.Status.SCHEDULED,
            appointment=appointment,
            source="online",
        )
    if rules is not None and rules.return_email and appointment.source == Source.PORTAL and not appointment.account_id:
        queue_email(
            provider=appointment.provider,
            kind="booking_clinic_notice",
            recipient=rules.return_email,
            template="booking/email/clinic_notice",
            context={"appointment": appointment.pk},
            idempotency_key=f"booking_clinic_notice:{appointment.pk}",
        )


def confirm_held_booking(appointment_id, token: str, *, now: dt.datetime | None = None) -> Appointment:
    """D3 multi-step: the patient clicks the e-mail link in time and the booking is confirmed.
    A hold past its time is expired on the spot and the slot freed."""
    now = now or clock.now()
    appointment = get_appointment_by_token(appointment_id, token)
    if appointment.status == AppointmentStatus.CONFIRMED:
        return appointment
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
                offer_when_committed(held.slot_id)
            expired = True
        else:
            expired = False
            transitions.transition(held, AppointmentStatus.CONFIRMED, now=now, actor_label="patient", hold_until=None)
            capacity.confirm_slot(held.slot_id)
            _after_confirmed(held, settings_for(held.provider_id))
    if expired:
        raise InvalidBooking(
            _("Czas na potwierdzenie rezerwacji minął i termin został zwolniony. Wybierz nowy termin."),
            errors={"token": [_("Czas na potwierdzenie rezerwacji minął.")]},
        )
    return held


def _expire_stale_holds(slot: Slot, *, now: dt.datetime) -> None:
    """A hold past its time no longer counts; finalize it before taking its place."""
    stale = Appointment.objects.filter(slot=slot, status=AppointmentStatus.HELD, hold_until__lt=now).select_for_update()
    for appointment in stale:
        transitions.transition(
            appointment,
            AppointmentStatus.EXPIRED,
            now=now,
            actor_label="system",
            reason="hold expired",
        )


def _actor_label(source: str, actor) -> str:
    if actor is not None:
        return f"user:{actor.pk}"
    return "patient" if source == Source.PORTAL else source


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
        offer_when_committed(appointment.slot_id)
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
        offer_when_committed(slot_id)
    return True


def cancel_appointment_by_clinic(
    appointment: Appointment, *, actor, reason: str, now: dt.datetime | None = None
) -> Appointment:
    """F4: the clinic cancels a visit with a reason; the slot is free at once; the patient is told."""
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
        actor_label=f"user:{actor.pk}",
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
    new_slot = bookable_slot(new_slot_id, now=now, portal=False)
    if new_slot.provider_id != appointment.provider_id or new_slot.pk == appointment.slot_id:
        raise InvalidBooking(errors={"slot": [_("Wybierz inny wolny termin.")]})
    old_slot_id, old_start = appointment.slot_id, appointment.start
    try:
        with transaction.atomic():
            if not capacity.take_slot(new_slot.pk, now=now):
                raise SlotTaken()
            capacity.lock_slot(old_slot_id)
            capacity.lock_practitioner(new_slot.practitioner_id)
            overlapping = Appointment.objects.filter(
                practitioner_id=new_slot.practitioner_id,
                status__in=ACTIVE_STATUSES,
                start__lt=new_slot.end,
                end__gt=new_slot.start,
            ).exclude(pk=appointment.pk)
            if overlapping.exists():
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
            offer_when_committed(old_slot_id)
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
        for slot in open_slots(now)
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
    if appointment.status != AppointmentStatus.CONFIRMED:
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


def set_slot_blocked(slot: Slot, blocked: bool, *, actor, now: dt.datetime | None = None) -> bool:
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
                % {"t": f"{slot.start:%Y-%m-%d %H:%M} UTC"},
                actor=actor,
            )
    return changed
