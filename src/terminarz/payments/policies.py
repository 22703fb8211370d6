"""Prepayment in the booking pipeline (H4), for every channel alike (portal, desk, API).

- `check` stage (`payments.load_rules`, no locks): the provider's payment settings; when
  payments are on and the slot is not NFZ-financed, the visit's service and price and the
  rules that could apply.
- `locked` stage (`payments.prepayment`, after the person is locked): is the patient
  first-time or blacklisted; `rules.resolve`; a mandatory payment holds the booking until the
  deadline (`Booking.hold_until`, reason "payment": the core turns the taken slot into a hold,
  so search offers it again the moment the deadline passes).
- `held` and `confirmed` stages (`payments.create_payment`): the `Payment` row, written with
  the booking's other rows, and the link to the patient.
"""

from terminarz.booking import pipeline
from terminarz.booking import rules as booking_rules
from terminarz.booking.errors import BookingRefused
from terminarz.booking.models import Appointment, AppointmentStatus, Source
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Financing

from . import config, rules
from .models import PaymentRule

HOLD_PAYMENT = "payment"
KEY = "payment"


class PaymentDeadlineRefused(BookingRefused):
    """The visit must be paid online and the payment could not be made in time (code
    "refused", like the other provider rules)."""


@pipeline.policy("check", name="payments.load_rules", preflight=True)
def load_rules(booking: pipeline.Booking) -> None:
    slot = booking.slot
    assert slot is not None
    if booking.request.channel == Source.PAYER:  # the insurer pays: no prepayment by the patient
        return
    found = config.provider_config(slot.provider_id)
    settings = found.settings
    if settings is None or not settings.enabled or slot.financing == Financing.NFZ:
        return
    service = found.visit_service(slot.practitioner_id, slot.unit_id)
    by_level: dict[str, PaymentRule] = {}
    for rule in found.rules:
        if rule.service_id is not None:
            if service is not None and rule.service_id == service.pk:
                by_level["service"] = rule
        elif rule.practitioner_id is not None:
            if rule.practitioner_id == slot.practitioner_id:
                by_level["practitioner"] = rule
        else:
            by_level["provider"] = rule
    booking.extras[KEY] = {"settings": settings, "service": service, "rules": by_level}
    # The special groups only ever make a payment mandatory: when the rules alone make it so,
    # the hold is known now and the slot is taken as a hold at once (no second write).
    decision = _decide(booking, first_time=False, blacklisted=False)
    if decision.mandatory:
        _hold_until_deadline(booking, decision)


def _decide(booking: pipeline.Booking, *, first_time: bool, blacklisted: bool) -> rules.Decision:
    loaded, slot = booking.extras[KEY], booking.slot
    assert slot is not None
    service, by_level = loaded["service"], loaded["rules"]
    return rules.resolve(
        settings=loaded["settings"],
        provider_rule=by_level.get("provider"),
        practitioner_rule=by_level.get("practitioner"),
        service_rule=by_level.get("service"),
        price=service.price if service is not None else None,
        nfz=slot.financing == Financing.NFZ,
        first_time=first_time,
        blacklisted=blacklisted,
    )


def _hold_until_deadline(booking: pipeline.Booking, decision: rules.Decision) -> None:
    slot = booking.slot
    assert slot is not None
    try:
        deadline = rules.payment_deadline(decision.deadline_rule, now=booking.now, visit_start=slot.start)
    except rules.DeadlineImpossible as exc:
        raise PaymentDeadlineRefused(exc.message) from None
    booking.extras[KEY]["deadline"] = deadline
    booking.hold_until = deadline
    booking.hold_reason = HOLD_PAYMENT


def _known_patient(booking: pipeline.Booking) -> Patient | None:
    """The provider's record of the person booking: the desk's patient, the account's record,
    or the record with the typed PESEL – and then only when the typed name is that record's too,
    so that a PESEL alone does not tell an anonymous caller whether its owner is blacklisted or
    has been to the clinic (the payment asked for would say so)."""
    request, slot = booking.request, booking.slot
    assert slot is not None
    if request.patient is not None:
        return request.patient
    if booking.known_patient_looked_up:
        known = booking.known_patient
    else:
        known = booking_rules.known_patient(slot.provider_id, booking.cleaned.get("pesel", ""))
    if known is not None and not _same_name(known, booking.cleaned):
        known = None
    if known is None and request.account is not None:
        known = Patient.objects.filter(provider_id=slot.provider_id, account=request.account).order_by("pk").first()
    return known


def _same_name(patient: Patient, typed: dict) -> bool:
    def norm(value) -> str:
        return " ".join(str(value or "").split()).casefold()

    return norm(patient.first_name) == norm(typed.get("first_name")) and norm(patient.last_name) == norm(
        typed.get("last_name")
    )


def is_first_time(patient: Patient | None) -> bool:
    """A first-time patient has not been to a visit at the provider yet."""
    if patient is None:
        return True
    return not Appointment.objects.filter(patient=patient, status=AppointmentStatus.COMPLETED).exists()


@pipeline.policy("locked", name="payments.prepayment")
def prepayment(booking: pipeline.Booking) -> None:
    loaded = booking.extras.get(KEY)
    if loaded is None:
        return
    settings = loaded["settings"]
    known = None
    if settings.first_time_mandatory or settings.blacklist_mandatory:
        known = _known_patient(booking)
    decision = _decide(
        booking,
        first_time=settings.first_time_mandatory and is_first_time(known),
        blacklisted=bool(known is not None and known.blacklisted),
    )
    loaded["decision"] = decision
    if decision.mandatory and "deadline" not in loaded:
        _hold_until_deadline(booking, decision)


@pipeline.policy("held", name="payments.create_payment_held")
def create_payment_held(booking: pipeline.Booking) -> None:
    _create(booking)


@pipeline.policy("confirmed", name="payments.create_payment")
def create_payment_confirmed(booking: pipeline.Booking) -> None:
    _create(booking)


def _create(booking: pipeline.Booking) -> None:
    loaded = booking.extras.get(KEY)
    if loaded is None or "decision" not in loaded or not loaded["decision"].charged:
        return
    from .services import create_payment

    assert booking.appointment is not None
    create_payment(
        booking.appointment,
        loaded["decision"],
        settings=loaded["settings"],
        deadline=loaded.get("deadline"),
        now=booking.now,
        actor=booking.request.actor,
        service=loaded["service"],
    )
