"""Payer bookings (G6, G7, G8 received; seed 001 §11.4, §12): an insurer's desk books a visit
for its insured patient in a slot offered to it, through the one booking pipeline.

- `check` stage (`insurers.payer_booking`, channel "payer" only): the insurer's payer row at
  the provider is active, the cooperation is active with online registration on (the
  provider's insurance service and this insurer's switch), the service is on the payer's price
  list in a group the block offers, the discount is 0–100 %, a referral's dates are sound.
- `confirmed` stage (`insurers.payer_booking_rows`): with the appointment, in its transaction,
  the `PayerBooking` (service, price, discount), the visit's service paid by the insurer (the
  discount is the insurer's share, the rest the patient's), the staff note the seed shows
  ("Konsultacja lekarza dermatologa: 100.0 zł - zniżka: 50%") and the received referral.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from terminarz.booking import channels, pipeline, visits
from terminarz.booking.errors import BookingRefused, InvalidBooking
from terminarz.booking.models import ACTIVE_STATUSES, Appointment, PayerKind, Source
from terminarz.booking.services import cancel_appointment_by_clinic
from terminarz.catalog.models import Payer, PayerService
from terminarz.core import clock
from terminarz.legal import services as legal
from terminarz.scheduling.models import Slot

from .models import Cooperation, CooperationStatus, InsuranceService, Insurer, PayerBooking, Referral

KEY = "payer"


@dataclass(frozen=True)
class ReferralData:
    number: str
    issued_on: dt.date
    valid_until: dt.date
    description: str = ""


def bookable_payer_ids(insurer_id: int) -> list[int]:
    """The insurer's payer rows at providers where it may book online now: cooperation active
    with online registration on, and the provider's insurance service taking online bookings."""
    providers = Cooperation.objects.filter(
        insurer_id=insurer_id, status=CooperationStatus.ACTIVE, online_registration=True
    ).values_list("provider_id", flat=True)
    # the insurance service's terms accepted in the version in force (A3): a new version stops it
    current_terms = legal.in_force("insurance", clock.now()).pk
    online = InsuranceService.objects.filter(
        provider_id__in=list(providers), online_registration=True, terms_id=current_terms
    )
    return list(
        Payer.objects.filter(
            insurer_ref=insurer_id, is_active=True, provider_id__in=online.values_list("provider_id", flat=True)
        ).values_list("pk", flat=True)
    )


def offered_slots(insurer: Insurer, now: dt.datetime) -> QuerySet[Slot]:
    return channels.payer_slots(now, bookable_payer_ids(insurer.pk))


def price_list_services(payer: Payer, slot: Slot) -> list:
    """The services the insurer may choose in this slot: on its price list, in a group the
    block offers, active."""
    if slot.block is None:
        return []
    groups = list(slot.block.payer_groups.values_list("pk", flat=True))
    rows = PayerService.objects.filter(payer=payer, service__is_active=True, service__group__in=groups)
    return [row.service for row in rows.select_related("service").order_by("service__name")]


@pipeline.policy("check", name="insurers.payer_booking")
def check_payer_booking(booking: pipeline.Booking) -> None:
    request, slot = booking.request, booking.slot
    if request.channel != Source.PAYER:
        return
    assert slot is not None
    payer = (
        Payer.objects.filter(pk=request.payer_id, provider_id=slot.provider_id, is_active=True).first()
        if request.payer_id is not None
        else None
    )
    if payer is None or payer.pk not in bookable_payer_ids(payer.insurer_ref):
        raise BookingRefused(_("Placówka nie przyjmuje teraz rezerwacji od tego ubezpieczyciela."))
    data = request.extras.get(KEY, {})
    services = {s.pk: s for s in price_list_services(payer, slot)}
    service = services.get(data.get("service_id"))
    errors: dict[str, list[str]] = {}
    if service is None:
        errors["service"] = [_("Wybierz usługę z cennika ubezpieczyciela dostępną w tym terminie.")]
    discount = data.get("discount")
    if type(discount) is not int or not 0 <= discount <= 100:
        errors["discount"] = [_("Zniżka to liczba od 0 do 100 (%).")]
    referral = data.get("referral")
    if referral is not None and referral.valid_until < referral.issued_on:
        errors["referral_valid_until"] = [_("Skierowanie nie może tracić ważności przed datą wystawienia.")]
    if errors:
        raise InvalidBooking(errors=errors)
    booking.extras[KEY] = {"payer": payer, "service": service, "discount": discount, "referral": referral}


@pipeline.policy("confirmed", name="insurers.payer_booking_rows")
def payer_booking_rows(booking: pipeline.Booking) -> None:
    found = booking.extras.get(KEY)
    appointment = booking.appointment
    if found is None or appointment is None:
        return
    payer, service, discount = found["payer"], found["service"], found["discount"]
    actor = booking.request.actor
    made = PayerBooking.objects.create(
        provider_id=appointment.provider_id,
        appointment=appointment,
        insurer_id=payer.insurer_ref,
        payer=payer,
        service=service,
        price=service.price,
        discount=discount,
        booked_at=booking.now,
        booked_by=actor,
    )
    visits.add_service(
        appointment,
        service,
        quantity=1,
        payer=PayerKind.INSURER,
        insurer_payer=payer,
        patient_share=100 - discount,
        actor=actor,
    )
    visits.add_note(appointment, made.note, actor=actor)
    referral: ReferralData | None = found["referral"]
    if referral is not None:
        Referral.objects.create(
            provider_id=appointment.provider_id,
            appointment=appointment,
            insurer_id=payer.insurer_ref,
            direction=Referral.Direction.RECEIVED,
            number=referral.number,
            issued_on=referral.issued_on,
            valid_until=referral.valid_until,
            description=referral.description,
            created_at=booking.now,
            created_by=actor,
        )


def book_for_insured(
    insurer: Insurer,
    slot_id,
    *,
    patient: dict,
    service_id: int | None,
    discount: int | None,
    referral: ReferralData | None,
    actor,
    submission_key: str = "",
) -> Appointment:
    """Book through the pipeline on the "payer" channel; the slot's provider decides which of
    the insurer's payer rows books."""
    slot = Slot.objects.filter(pk=slot_id).only("provider_id").first()
    payer = (
        Payer.objects.filter(provider_id=slot.provider_id, insurer_ref=insurer.pk, is_active=True).first()
        if slot is not None
        else None
    )
    return pipeline.book(
        pipeline.BookingRequest(
            slot_id=slot_id,
            channel=Source.PAYER,
            data=patient,
            actor=actor,
            payer_id=payer.pk if payer is not None else None,
            extras={KEY: {"service_id": service_id, "discount": discount, "referral": referral}},
            submission_key=submission_key,
        )
    )


def bookings(insurer: Insurer) -> QuerySet[PayerBooking]:
    """The visits this insurer booked – the only patients its desk may see."""
    return PayerBooking.objects.filter(insurer=insurer).select_related(
        "appointment__practitioner", "appointment__unit__location", "appointment__provider", "service"
    )


def booking_for(insurer: Insurer, booking_id) -> PayerBooking | None:
    try:
        return bookings(insurer).get(pk=int(booking_id))
    except (PayerBooking.DoesNotExist, ValueError, TypeError, OverflowError):
        return None


def cancel_by_insurer(found: PayerBooking, *, reason: str, actor, now: dt.datetime | None = None) -> Appointment:
    """The insurer cancels a visit it booked (the patient is told, the slot is free again)."""
    now = now or clock.now()
    reason = reason.strip()
    if not reason:
        raise InvalidBooking(errors={"reason": [_("Podaj powód odwołania – przekażemy go pacjentowi i placówce.")]})
    if not can_cancel(found.appointment, now):
        raise InvalidBooking(errors={"reason": [_("Wizyty, która już się rozpoczęła, nie można odwołać.")]})
    return cancel_appointment_by_clinic(
        found.appointment,
        actor=actor,
        reason=_("odwołana przez %(insurer)s: %(reason)s") % {"insurer": found.insurer.name, "reason": reason},
        now=now,
    )


def can_cancel(appointment: Appointment, now: dt.datetime) -> bool:
    """The insurer cancels only an active visit that has not started."""
    return appointment.status in ACTIVE_STATUSES and appointment.start > now


def made_by_form(insurer: Insurer, slot_id, submission_key: str) -> PayerBooking | None:
    """The visit this desk form already made (the same key, slot and insurer), if it still stands."""
    if not submission_key:
        return None
    return (
        bookings(insurer)
        .filter(
            appointment__slot_id=slot_id,
            appointment__submission_key=submission_key[:64],
            appointment__status__in=ACTIVE_STATUSES,
        )
        .first()
    )
