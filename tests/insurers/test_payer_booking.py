"""G6–G8 (received): schedules for payers and booking an insured patient on the "payer"
channel through the one pipeline – what is offered to whom, the visit's service with the
insurer's share, the seed's note, the received referral, and every refusal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from terminarz.booking.errors import BookingRefused, InvalidBooking, SlotNotOffered
from terminarz.booking.models import Appointment, VisitNote, VisitService
from terminarz.insurers import payer_booking, services
from terminarz.insurers.models import Cooperation, PayerBooking, Referral
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW
from tests.factories import VALID_PESEL, clinic, every_day, make_provider
from tests.insurers.helpers import make_insurer, payer_schedule

pytestmark = pytest.mark.django_db
INSURED = {
    "first_name": "Jan",
    "last_name": "Ubezpieczony",
    "pesel": VALID_PESEL,
    "phone": "600100200",
    "email": "jan@example.com",
    "accept_requirements": True,
}


@pytest.fixture
def world(today):
    provider = make_provider()
    user = get_user_model().objects.create_user("agata", password="x")
    tu = make_insurer()
    payer, svc, schedule = payer_schedule(provider, tu, user, today=today)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    return {
        "provider": provider,
        "tu": tu,
        "payer": payer,
        "svc": svc,
        "schedule": schedule,
        "slot": slot,
        "user": user,
    }


def book(world, *, slot=None, service="KONS-KARD", discount=50, referral=None, insurer=None):
    return payer_booking.book_for_insured(
        insurer or world["tu"],
        (slot or world["slot"]).pk,
        patient=INSURED,
        service_id=world["svc"][service].pk if service else None,
        discount=discount,
        referral=referral,
        actor=world["user"],
    )


def test_a_payer_booking_makes_the_visit_its_service_share_note_and_referral(world):
    referral = payer_booking.ReferralData("SK/1/2026", dt.date(2026, 11, 18), dt.date(2026, 12, 18), "Konsultacja")
    appointment = book(world, referral=referral)
    assert (appointment.source, appointment.status) == ("payer", "confirmed")
    made = PayerBooking.objects.get(appointment=appointment)
    assert (made.insurer_id, made.payer_id, made.price, made.discount) == (
        world["tu"].pk,
        world["payer"].pk,
        Decimal("220.00"),
        50,
    )
    assert made.note == "Konsultacja kardiologiczna: 220.00 zł - zniżka: 50%"
    line = VisitService.objects.get(appointment=appointment)
    assert (line.payer, line.insurer_payer_id, line.patient_share, line.payer_amount) == (
        "insurer",
        world["payer"].pk,
        50,
        Decimal("110.00"),
    )
    assert list(VisitNote.objects.filter(appointment=appointment).values_list("text", flat=True)) == [made.note]
    received = Referral.objects.get(appointment=appointment)
    assert (received.direction, received.number, received.insurer_id) == ("received", "SK/1/2026", world["tu"].pk)


def test_only_slots_of_blocks_naming_the_payer_are_offered(world, today):
    offered = payer_booking.offered_slots(world["tu"], FROZEN_NOW)
    assert set(offered.values_list("schedule_id", flat=True)) == {world["schedule"].pk}
    # a second schedule of the same provider with no payers is not offered, nor to another insurer
    _, _, _, plain = clinic(today=today, days=2, provider=world["provider"], blocks=every_day(dt.time(13), dt.time(14)))
    assert not payer_booking.offered_slots(world["tu"], FROZEN_NOW).filter(schedule=plain).exists()
    ump = make_insurer("ump", "UMP", nip="")
    assert payer_booking.offered_slots(ump, FROZEN_NOW).count() == 0
    plain_slot = Slot.objects.filter(schedule=plain, start__gt=FROZEN_NOW).first()
    with pytest.raises(SlotNotOffered):
        book(world, slot=plain_slot)


def test_children_and_call_center_blocks_go_to_payers_but_never_nfz(world, today):
    block = world["slot"].block
    block.children = "healthy"
    block.callcenter_only = True
    block.save()
    assert payer_booking.offered_slots(world["tu"], FROZEN_NOW).filter(block=block).exists()
    block.financing = "nfz"
    block.save()
    Slot.objects.filter(block=block).update(financing="nfz")
    assert not payer_booking.offered_slots(world["tu"], FROZEN_NOW).filter(block=block).exists()


def test_the_service_must_be_on_the_price_list_in_a_group_the_block_offers(world):
    with pytest.raises(InvalidBooking) as outside:
        book(world, service="KONS-DERM")  # Dermatologia: not overridden, not offered in the block
    assert outside.value.errors == {"service": ["Wybierz usługę z cennika ubezpieczyciela dostępną w tym terminie."]}
    with pytest.raises(InvalidBooking) as discount:
        book(world, discount=120)
    assert discount.value.errors == {"discount": ["Zniżka to liczba od 0 do 100 (%)."]}
    backwards = payer_booking.ReferralData("", dt.date(2026, 12, 1), dt.date(2026, 11, 1))
    with pytest.raises(InvalidBooking) as referral:
        book(world, referral=backwards)
    assert referral.value.errors == {
        "referral_valid_until": ["Skierowanie nie może tracić ważności przed datą wystawienia."]
    }
    assert Appointment.objects.count() == 0


def test_no_booking_without_online_registration_or_an_active_cooperation(world):
    Cooperation.objects.filter(insurer=world["tu"]).update(online_registration=False)
    assert payer_booking.offered_slots(world["tu"], FROZEN_NOW).count() == 0
    with pytest.raises(BookingRefused) as refused:
        book(world)
    assert refused.value.message == "Placówka nie przyjmuje teraz rezerwacji od tego ubezpieczyciela."
    Cooperation.objects.filter(insurer=world["tu"]).update(online_registration=True)
    services.end(services.cooperation(world["provider"].pk, world["tu"]), confirmed=True, actor=world["user"])
    with pytest.raises(SlotNotOffered):
        book(world)
    assert Appointment.objects.count() == 0


def test_the_insurer_cancels_its_visit_with_a_reason(world):
    appointment = book(world)
    found = PayerBooking.objects.get(appointment=appointment)
    with pytest.raises(InvalidBooking) as empty:
        payer_booking.cancel_by_insurer(found, reason=" ", actor=world["user"])
    assert empty.value.errors == {"reason": ["Podaj powód odwołania – przekażemy go pacjentowi i placówce."]}
    payer_booking.cancel_by_insurer(found, reason="Pacjent zrezygnował", actor=world["user"])
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancel_reason == "odwołana przez TU Zdrowie: Pacjent zrezygnował"


def test_a_provider_the_insurer_does_not_work_with_offers_it_nothing(world):
    other = make_provider()
    other_slot = Slot.objects.filter(
        schedule=clinic(today=FROZEN_NOW.date(), days=2, provider=other)[3], start__gt=FROZEN_NOW
    ).first()
    with pytest.raises(SlotNotOffered) as refused:
        book(world, slot=other_slot)
    assert refused.value.errors == {"slot": ["Ten termin nie jest dostępny w rejestracji online."]}
