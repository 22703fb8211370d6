"""One booking pipeline for every channel (D3–D6, F2; later payer desk, FHIR, widgets).

A channel builds a `BookingRequest` (slot, patient data or record, channel, actor, account,
now) and calls `book(request)`. The request passes an ordered list of policies, each a small
function with one job, grouped by the stage at which it runs:

- `check`   – before any lock (validation and rules that need no lock): the slot exists and
              is ahead, registration is open, the slot is offered on this channel, the patient
              data is valid and the requirement accepted, a multi-step hold.
- `locked`  – inside the transaction, after the slot is taken and the practitioner and the
              person are locked (lock order in `core.locks`): one visit per specialization
              (D5), first-time NFZ visit (D6).
- `held`    – the appointment exists and waits for the patient's confirmation (D3).
- `confirmed` – the appointment is confirmed (at once, or later when a hold is confirmed):
              confirmation message, the clinic's notice; other apps add theirs (the waiting
              app enters a first-time NFZ visit into the queue).

A capability adds a rule with `register(policy, stage=…)` from its `AppConfig.ready` – a
prepayment hold or an insurer's referral is one more entry, not a branch in the core. Policies
refuse by raising a `BookingError` (Polish message, stable code). After commit the core emits
`appointment_booked` (and `appointment_confirmed`) through `core.events`.

`preflight(request)` runs the `check` policies marked `preflight` (slot, registration,
channel) so a page can answer before the patient types anything; `book` runs them all again.
"""

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from terminarz.accounts.models import Consent, consent_withdrawn
from terminarz.core import batch, clock, events
from terminarz.notifications.services import queue_email, queue_sms
from terminarz.patients.models import Patient
from terminarz.patients.services import UNKNOWN, attach_account_card, match_or_create_patient
from terminarz.providers.models import RegistrationSettings, settings_for, settings_of
from terminarz.scheduling.models import Slot, SlotState

from . import capacity, channels, transitions
from . import rules as rules_lib
from .errors import BookingRefused, ConsentWithdrawn, InvalidBooking, SlotNotOffered, SlotTaken
from .models import Appointment, AppointmentStatus, Source
from .validation import NOTE_MAX, PatientDataForm

STAGES = ("check", "locked", "held", "confirmed")
HOLD_CONFIRMATION = "confirmation"


@dataclass
class BookingRequest:
    slot_id: Any
    channel: str  # a booking.models.Source value
    data: dict = field(default_factory=dict)  # patient data typed on a form or sent to the API
    patient: Patient | None = None  # a record of the provider (desk bookings)
    actor: Any = None  # the staff user booking (desk), None for the patient themselves
    account: Any = None  # the patient account booking (D4)
    note: str = ""  # desk note
    now: dt.datetime | None = None
    # The form's one-time key (portal): sent again, it gets the booking it already made.
    submission_key: str = ""
    language: str = "pl"  # the patient's interface language: their messages use it
    # An insurer's desk (channel "payer"): the provider's payer row of the insurer booking.
    payer_id: int | None = None
    # What a capability needs from the form beyond the patient (by the capability's name).
    extras: dict = field(default_factory=dict)
    # The caller may book only this provider's slots (a clinic system's credential).
    provider_id: int | None = None
    # A client asks to hold the slot for this long before it books (FHIR `Appointment/$hold`).
    hold_minutes: int = 0
    # Who booked, for the history, when it is neither a person nor the channel ("client:<id>").
    actor_label: str = ""


@dataclass
class Booking:
    """A request on its way through the pipeline, with what the policies found out."""

    request: BookingRequest
    now: dt.datetime
    slot: Slot | None = None
    rules: RegistrationSettings | None = None
    cleaned: dict = field(default_factory=dict)
    hold_until: dt.datetime | None = None
    known_patient: Patient | None = None
    known_patient_looked_up: bool = False  # known_patient is the lookup's answer
    nfz_first_time: bool = False
    appointment: Appointment | None = None
    # Made before the transaction (`_prepare`), so the locked section does only what needs locks.
    draft: Appointment | None = None
    lock_keys: list[tuple[str, int]] = field(default_factory=list)
    # Why the booking is held ("confirmation", or a capability's own reason such as "payment").
    hold_reason: str = ""
    # What a capability's policies found out, by the capability's name (e.g. "payment").
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def online(self) -> bool:
        return self.request.channel in channels.ONLINE


@dataclass(frozen=True)
class Policy:
    name: str
    stage: str
    run: Callable[[Booking], None]
    preflight: bool = False


_policies: dict[str, list[Policy]] = {stage: [] for stage in STAGES}


def register(policy: Policy) -> Policy:
    if policy.stage not in STAGES:
        raise ValueError(f"Unknown stage {policy.stage!r}")
    existing = [p for p in _policies[policy.stage] if p.name == policy.name]
    if existing and existing[0].run is not policy.run:
        raise ValueError(f"Policy {policy.name!r} is registered already")
    if not existing:
        _policies[policy.stage].append(policy)
    return policy


def policy(stage: str, *, name: str | None = None, preflight: bool = False):
    """Decorator form of `register`."""

    def decorate(run: Callable[[Booking], None]) -> Callable[[Booking], None]:
        register(Policy(name or run.__name__, stage, run, preflight))
        return run

    return decorate


def policies(stage: str) -> list[str]:
    return [p.name for p in _policies[stage]]


def _run(stage: str, booking: Booking, *, preflight_only: bool = False) -> None:
    for p in _policies[stage]:
        if preflight_only and not p.preflight:
            continue
        p.run(booking)


# -- the pipeline ---------------------------------------------------------------------------


def preflight(request: BookingRequest) -> Booking:
    booking = Booking(request=request, now=request.now or clock.now())
    _run("check", booking, preflight_only=True)
    return booking


def checked(request: BookingRequest, *, skip: frozenset[str] = frozenset()) -> Booking:
    """The `check` stage alone (all of it but `skip`), for a caller that then books inside its
    own transaction with `book_locked` (the waiting list accepting an offer)."""
    booking = Booking(request=request, now=request.now or clock.now())
    for p in _policies["check"]:
        if p.name not in skip:
            p.run(booking)
    return booking


def book(request: BookingRequest) -> Appointment:
    """Book in one transaction; SlotTaken (with alternatives) when someone was faster. The same
    form sent again (its `submission_key`) gets the booking it made, never "taken"."""
    made = already_made(request)
    if made is not None:
        return made
    booking = Booking(request=request, now=request.now or clock.now())
    _run("check", booking)
    slot = booking.slot
    assert slot is not None
    _prepare(booking)
    try:
        with transaction.atomic():
            appointment = _book_locked(booking)
    except (SlotTaken, IntegrityError):
        # A second send of the same form waited for the first one's commit: its booking.
        made = already_made(request)
        if made is not None:
            return made
        raise SlotTaken(alternatives=alternatives_for(slot, booking)) from None
    return appointment


def already_made(request: BookingRequest) -> Appointment | None:
    """The booking this form already made and that still stands: same key, same slot, same
    person as typed (the key alone shows nobody else's visit; a form sent again with another
    person's data, or after the visit was cancelled, books anew or hears "taken")."""
    if not request.submission_key:
        return None
    made = (
        Appointment.objects.select_related("provider")
        .filter(
            submission_key=request.submission_key,
            source=request.channel,
            slot_id=request.slot_id,
            status__in=[AppointmentStatus.HELD, AppointmentStatus.CONFIRMED],
        )
        .first()
    )
    if made is None or (request.provider_id is not None and made.provider_id != request.provider_id):
        return None
    if request.patient is not None:  # a record chosen (desk, clinic system): the same record
        return (
            made if made.patient_id == request.patient.pk and made.provider_id == request.patient.provider_id else None
        )
    typed = {name: str(request.data.get(name, "")).strip().casefold() for name in ("email", "first_name", "last_name")}
    typed_pesel = str(request.data.get("pesel", "")).strip()
    same_person = (
        typed["email"] == made.email.casefold()
        and typed["first_name"] == made.first_name.casefold()
        and typed["last_name"] == made.last_name.casefold()
        and typed_pesel == made.pesel
    )
    # The same account, or no account on both sides: a visit booked while signed in is not
    # shown to the same form sent again after signing out.
    same_account = made.account_id == (request.account.pk if request.account is not None else None)
    if not (same_person and same_account):
        return None
    return made


def book_locked(booking: Booking) -> Appointment:
    """The transactional part, for callers that already hold a transaction (the waiting list
    accepting an offer books the slot held for it in its own transaction)."""
    return _book_locked(booking)


def _book_locked(booking: Booking) -> Appointment:
    slot, now = booking.slot, booking.now
    assert slot is not None
    if booking.draft is None:
        _prepare(booking)
    # The slot, then the practitioner and (online) the person, in the lock order of core.locks:
    # one statement on PostgreSQL.
    if not capacity.take_slot(slot.pk, now=now, hold_until=booking.hold_until, then_lock=booking.lock_keys):
        raise SlotTaken()
    if slot.state == SlotState.HELD:  # we took over a hold that ran out
        _expire_stale_holds(slot, now=now)
    # On PostgreSQL the exclusion constraint (practitioner × time) is the overlap check: with
    # the practitioner locked, a competing booking waits here and then meets the constraint
    # (IntegrityError → SlotTaken). SQLite has no such constraint: asked explicitly.
    if connection.vendor != "postgresql" and capacity.practitioner_busy(slot):
        raise SlotTaken()
    _run("locked", booking)
    if booking.hold_until and booking.draft is not None and booking.draft.hold_until != booking.hold_until:
        # A `locked` policy decided to hold the booking (a payment is due): the slot waits too.
        capacity.hold_taken_slot(slot.pk, until=booking.hold_until)
        booking.draft.status = AppointmentStatus.HELD
        booking.draft.hold_until = booking.hold_until
        booking.draft.hold_reason = booking.hold_reason
    # The rows written after the appointment (transition, audit, messages, queue entry) go to
    # the database together, in one statement on PostgreSQL (core.batch).
    with batch.collected():
        appointment = _create(booking)
        booking.appointment = appointment
        if booking.hold_until:
            _run("held", booking)
        else:
            _run("confirmed", booking)
    events.emit(
        events.APPOINTMENT_BOOKED,
        appointment_id=appointment.pk,
        provider_id=appointment.provider_id,
        slot_id=appointment.slot_id,
        source=appointment.source,
        held=bool(booking.hold_until),
    )
    return appointment


def _prepare(booking: Booking) -> None:
    """What needs no lock, done before the transaction: the lock keys and the appointment's
    row as far as it is known (the patient and the first-visit flag come under the locks)."""
    request, slot, cleaned = booking.request, booking.slot, booking.cleaned
    assert slot is not None
    account = request.account
    booking.lock_keys = [("practitioner", slot.practitioner_id)]
    if booking.rules is not None:
        booking.lock_keys += rules_lib.patient_lock_keys(
            slot.provider_id, cleaned["pesel"], cleaned["email"], account.pk if account is not None else None
        )
    booking.draft = Appointment(
        provider=slot.provider,  # loaded with the slot: the messages below need no query for it
        slot=slot,
        practitioner_id=slot.practitioner_id,
        unit_id=slot.unit_id,
        start=slot.start,
        end=slot.end,
        status=AppointmentStatus.HELD if booking.hold_until else AppointmentStatus.CONFIRMED,
        hold_until=booking.hold_until,
        hold_reason=booking.hold_reason if booking.hold_until else "",
        source=request.channel,
        reference=new_reference(),
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
        email=cleaned["email"],
        phone=cleaned["phone"],
        pesel=cleaned["pesel"],
        note=cleaned["note"],
        accepted_requirements=bool(cleaned.get("accept_requirements")),
        booked_by=request.actor,
        account=account,
        submission_key=request.submission_key[:64],
        language=request.language,
    )


def _create(booking: Booking) -> Appointment:
    request, slot, cleaned, now, appointment = (
        booking.request,
        booking.slot,
        booking.cleaned,
        booking.now,
        booking.draft,
    )
    assert slot is not None and appointment is not None
    account = request.account
    patient = request.patient or match_or_create_patient(
        slot.provider,
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
        email=cleaned["email"],
        phone=cleaned["phone"],
        pesel=cleaned["pesel"],
        account=account,
        known_by_pesel=booking.known_patient if booking.known_patient_looked_up else UNKNOWN,
    )
    appointment.patient = patient
    appointment.nfz_first_time = booking.nfz_first_time
    appointment.save(force_insert=True)
    transitions.record_created(appointment, now=now, actor=request.actor, actor_label=actor_label(request))
    profile = getattr(account, "patient_profile", None) if account is not None else None
    if profile is not None and profile.card_number and patient.account_id == account.pk:
        attach_account_card(patient, profile.card_number)
    return appointment


def _expire_stale_holds(slot: Slot, *, now: dt.datetime) -> None:
    """A hold past its time no longer counts; finalize it before taking its place."""
    stale = Appointment.objects.filter(slot=slot, status=AppointmentStatus.HELD, hold_until__lt=now).select_for_update()
    for appointment in stale:
        transitions.transition(
            appointment, AppointmentStatus.EXPIRED, now=now, actor_label="system", reason="hold expired"
        )


REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ALTERNATIVES = 5


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def alternatives_for(slot: Slot, booking: Booking | None = None, *, now=None, channel: str | None = None):
    """The next slots of the same practitioner open on the channel, earliest first."""
    now = now or (booking.now if booking else clock.now())
    channel = channel or (booking.request.channel if booking else Source.PORTAL)
    return list(
        channels.open_slots_for(channel, now)
        .filter(practitioner_id=slot.practitioner_id)
        .exclude(pk=slot.pk)
        .select_related("practitioner", "unit__location", "block")
        .prefetch_related("practitioner__specializations")
        .order_by("start", "pk")[:ALTERNATIVES]
    )


def actor_label(request: BookingRequest) -> str:
    if request.actor is not None:
        return f"user:{request.actor.pk}"
    if request.actor_label:
        return request.actor_label
    return "patient" if request.channel == Source.PORTAL else request.channel


# -- the core's policies, in order -----------------------------------------------------------


def bookable_slot(slot_id, *, now: dt.datetime) -> Slot:
    """The slot asked for, or InvalidBooking with a field error on "slot"."""
    try:
        slot_pk = int(slot_id)
    except (TypeError, ValueError):
        slot_pk = None
    found = (
        Slot.objects.select_related("practitioner", "unit__location", "block", "provider__registration")
        .filter(pk=slot_pk)
        .order_by()[:1]  # by primary key: no ORDER BY to build (first() would add one)
        if slot_pk is not None and 0 < slot_pk < 2**63
        else []
    )
    slot = next(iter(found), None)
    if slot is None:
        raise InvalidBooking(errors={"slot": [_("Nie ma takiego terminu.")]})
    if slot.start <= now:
        raise InvalidBooking(errors={"slot": [_("Ten termin już minął. Wybierz inny termin.")]})
    return slot


@policy("check", preflight=True)
def slot_exists_and_ahead(booking: Booking) -> None:
    booking.slot = bookable_slot(booking.request.slot_id, now=booking.now)
    patient, provider_id = booking.request.patient, booking.request.provider_id
    if patient is not None and booking.slot.provider_id != patient.provider_id:
        raise InvalidBooking(errors={"slot": [_("Nie ma takiego terminu.")]})
    if provider_id is not None and booking.slot.provider_id != provider_id:
        raise InvalidBooking(errors={"slot": [_("Nie ma takiego terminu.")]})


@policy("check", preflight=True)
def offered_on_channel(booking: Booking) -> None:
    """C4, B3, C2: the slot is offered on the request's channel (portal rules, audiences)."""
    assert booking.slot is not None
    if not channels.offered(booking.slot, booking.request.channel, now=booking.now, payer_id=booking.request.payer_id):
        raise SlotNotOffered(errors={"slot": [_("Ten termin nie jest dostępny w rejestracji online.")]})


@policy("check", preflight=True)
def registration_open(booking: Booking) -> None:
    """Tabela 4: online registration on, and without an account only when allowed (D4)."""
    if not booking.online:
        return
    assert booking.slot is not None
    booking.rules = settings_of(booking.slot.provider)
    check_registration_open(
        booking.rules, booking.slot, channel=booking.request.channel, account=booking.request.account
    )


@policy("check", preflight=True)
def registration_consent(booking: Booking) -> None:
    """E3: an account whose consent to processing data for registration (RODO) is withdrawn
    books nothing online until it is given again."""
    account = booking.request.account
    if account is None or not booking.online:
        return
    if consent_withdrawn(account, Consent.Kind.RODO):
        raise ConsentWithdrawn(
            _(
                "Zgoda na przetwarzanie danych w celu rejestracji wizyt jest wycofana – bez niej nie umówisz "
                "wizyty z konta. Możesz ją ponownie zaznaczyć w „Moje dane i zgody”."
            )
        )


def check_registration_open(rules: RegistrationSettings, slot: Slot, *, channel: str, account=None) -> None:
    phone = slot.provider.phone
    contact = _(" Zadzwoń do placówki: %(phone)s.") % {"phone": phone} if phone else ""
    if not rules.online_registration:
        raise BookingRefused(_("Ta placówka nie prowadzi teraz rejestracji online.") + contact)
    if channel in channels.ONLINE and not rules.without_account and account is None:
        raise BookingRefused(
            _("Ta placówka przyjmuje rezerwacje online tylko od pacjentów z kontem. Zaloguj się lub załóż konto.")
        )


@policy("check")
def patient_data_valid(booking: Booking) -> None:
    """The patient's data (online) or record (desk); the requirement text accepted (C2)."""
    request, slot, rules = booking.request, booking.slot, booking.rules
    assert slot is not None
    if request.patient is not None:
        if len(request.note) > NOTE_MAX:
            raise InvalidBooking(errors={"note": [_("Notatka może mieć najwyżej %(n)d znaków.") % {"n": NOTE_MAX}]})
        patient = request.patient
        booking.cleaned = {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "email": patient.email or "",
            "phone": patient.phone or "",
            "pesel": patient.pesel or "",
            "note": request.note,
            "accept_requirements": True,
        }
        return
    form = PatientDataForm(
        request.data,
        requirement_text=slot.block.requirement_text if slot.block else "",
        phone_required=bool(rules and rules.phone_required),
        pesel_required=bool(rules and rules.pesel_required),
        email_required=request.channel != Source.SYSTEM,
    )
    if not form.is_valid():
        raise InvalidBooking(errors={k: [str(m) for m in v] for k, v in form.errors.items()})
    booking.cleaned = form.cleaned_data


@policy("check")
def multi_step_hold(booking: Booking) -> None:
    """D3 multi-step: a portal booking holds the slot until the patient confirms by e-mail (the
    seed's "Rejestracja wieloetapowa" is the portal's; programs – API, FHIR apps – book in one
    step, their own `$hold` aside)."""
    rules = booking.rules
    if rules is not None and rules.multi_step and booking.request.channel == Source.PORTAL:
        booking.hold_until = booking.now + dt.timedelta(minutes=rules.hold_minutes)
        booking.hold_reason = HOLD_CONFIRMATION


HOLD_CLIENT = "client"
# Holds the core itself confirms (the patient's link, a client's `$book`) and expires.
CORE_HOLDS = ("", "confirmation", HOLD_CLIENT)
MAX_CLIENT_HOLD_MINUTES = 15


@policy("check")
def client_hold(booking: Booking) -> None:
    """A client holds the slot for a few minutes before booking it (FHIR `$hold`); the patient's
    data is already checked, so confirming later is only a status change."""
    minutes = booking.request.hold_minutes
    if minutes and not booking.hold_until:
        booking.hold_until = booking.now + dt.timedelta(minutes=min(minutes, MAX_CLIENT_HOLD_MINUTES))
        booking.hold_reason = HOLD_CLIENT


@policy("locked")
def one_visit_per_specialization(booking: Booking) -> None:
    """D5 (online channels, when the provider sets it); the person is locked."""
    rules, slot = booking.rules, booking.slot
    if rules is None:
        return
    assert slot is not None
    booking.known_patient = rules_lib.known_patient(slot.provider_id, booking.cleaned["pesel"])
    booking.known_patient_looked_up = True
    if rules.one_visit_per_specialization:
        rules_lib.check_one_visit_per_specialization(
            slot, booking.known_patient, now=booking.now, account=booking.request.account
        )


@policy("locked")
def first_time_nfz_visit(booking: Booking) -> None:
    """D6: a first-time NFZ visit booked online is refused or allowed (and queued)."""
    rules, slot = booking.rules, booking.slot
    if rules is None:
        return
    assert slot is not None
    booking.nfz_first_time = rules_lib.is_first_nfz_visit(slot, booking.known_patient, now=booking.now)
    rules_lib.check_nfz_first_visit(rules, booking.nfz_first_time)


@policy("held")
def hold_confirmation_request(booking: Booking) -> None:
    appointment = booking.appointment
    assert appointment is not None and booking.slot is not None
    if appointment.hold_reason != HOLD_CONFIRMATION:
        return  # another capability holds it (a payment) and says so itself
    queue_email(
        provider=booking.slot.provider,
        kind="booking_hold",
        recipient=appointment.email,
        template="booking/email/hold",
        context={"appointment": appointment.pk},
        idempotency_key=f"booking_hold:{appointment.pk}",
    )


@policy("confirmed")
def confirmation_message(booking: Booking) -> None:
    appointment = booking.appointment
    assert appointment is not None
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
    # I1 (003 "potwierdzenia wizyt czy przypomnienia SMS"): by SMS too when the provider wants it.
    if appointment.phone and settings_of(appointment.provider).confirmation_sms:
        queue_sms(
            provider=appointment.provider,
            kind="booking_confirmation",
            phone=appointment.phone,
            template="booking/email/confirmation",
            context={"appointment": appointment.pk},
            idempotency_key=f"sms:booking_confirmation:{appointment.pk}",
            patient=appointment.patient,
        )


@policy("confirmed")
def clinic_notice(booking: Booking) -> None:
    """Tabela 4 "return e-mail": the clinic hears of each portal booking without an account."""
    appointment, rules = booking.appointment, booking.rules
    assert appointment is not None
    if rules is not None and rules.return_email and appointment.source == Source.PORTAL and not appointment.account_id:
        queue_email(
            provider=appointment.provider,
            kind="booking_clinic_notice",
            recipient=rules.return_email,
            template="booking/email/clinic_notice",
            context={"appointment": appointment.pk},
            idempotency_key=f"booking_clinic_notice:{appointment.pk}",
        )


def run_confirmed(appointment: Appointment, *, now: dt.datetime) -> None:
    """A held booking was confirmed (D3): the `confirmed` policies run for it now."""
    request = BookingRequest(slot_id=appointment.slot_id, channel=appointment.source, account=appointment.account)
    booking = Booking(
        request=request,
        now=now,
        slot=appointment.slot,
        rules=settings_for(appointment.provider_id) if appointment.source in channels.ONLINE else None,
        appointment=appointment,
        nfz_first_time=appointment.nfz_first_time,
    )
    _run("confirmed", booking)
