"""G6–G8 in the back-office: a schedule block offered to payers (only private, only groups with
overridden services), a payer's visit in the calendar and the visit view (payer, service,
share, the seed's note, referrals), and "Skierowanie wysyłane" – one per visit, from the
payer's price list, delivered to the insurer."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic
from terminarz.insurers import payer_booking
from terminarz.insurers.models import Insurer, Referral
from terminarz.notifications.models import Message
from terminarz.scheduling.models import Schedule, Slot
from tests.clinic.test_access import make_user
from tests.clinic.test_schedules import block, schedule_post
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, make_practitioner, make_provider, make_unit
from tests.insurers.helpers import make_insurer, payer_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, today):
    provider = make_provider()
    admin = make_user("ada", provider, "admin")
    insurer = make_insurer()
    Insurer.objects.filter(pk=insurer.pk).update(email="skierowania@tu-zdrowie.example")
    payer, svc, schedule = payer_schedule(provider, insurer, admin, today=today)
    client.force_login(admin)
    return {"provider": provider, "admin": admin, "insurer": insurer, "payer": payer, "svc": svc, "schedule": schedule}


def payer_visit(office, discount=50):
    slot = Slot.objects.filter(schedule=office["schedule"], start__gt=FROZEN_NOW).order_by("start").first()
    return payer_booking.book_for_insured(
        office["insurer"],
        slot.pk,
        patient={
            "first_name": "Jan",
            "last_name": "Ubezpieczony",
            "pesel": VALID_PESEL,
            "phone": "",
            "email": "jan@example.com",
            "accept_requirements": True,
        },
        service_id=office["svc"]["KONS-KARD"].pk,
        discount=discount,
        referral=payer_booking.ReferralData("SK/1", dt.date(2026, 11, 19), dt.date(2026, 12, 19)),
        actor=None,
    )


def test_a_private_block_is_offered_to_a_payer_with_its_groups(client, office):
    provider = office["provider"]
    unit = make_unit(provider, code="DERM")
    practitioner = make_practitioner(provider, unit)
    kard = office["svc"]["EKG"].group
    derm = office["svc"]["KONS-DERM"].group
    data = schedule_post(
        practitioner,
        unit,
        block(0, 0, "08:00", "12:00", financing="private", payers=[office["payer"].pk], payer_groups=[kard.pk]),
    )
    page = client.get(reverse("clinic:schedule-create"))
    block_form = page.context["formset"].forms[0]
    assert [g.name for g in block_form.fields["payer_groups"].queryset] == ["Kardiologia"]
    assert client.post(reverse("clinic:schedule-create"), data).status_code == 302
    made = Schedule.objects.get(practitioner=practitioner).blocks.get()
    assert (list(made.payers.all()), list(made.payer_groups.all())) == ([office["payer"]], [kard])
    nfz = schedule_post(
        practitioner,
        unit,
        block(0, 1, "08:00", "12:00", financing="nfz", payers=[office["payer"].pk], payer_groups=[kard.pk]),
    )
    refused = client.post(reverse("clinic:schedule-create"), nfz)
    assert refused.context["formset"].forms[0].errors == {
        "payers": ["Płatników można wskazać tylko w bloku wizyt prywatnych – odznacz NFZ."]
    }
    no_group = schedule_post(
        practitioner, unit, block(0, 2, "08:00", "12:00", financing="private", payers=[office["payer"].pk])
    )
    refused = client.post(reverse("clinic:schedule-create"), no_group)
    assert refused.context["formset"].forms[0].errors == {
        "payer_groups": ["Wybierz grupy usług, które płatnicy mogą umawiać w tym bloku."]
    }
    not_offered = schedule_post(
        practitioner,
        unit,
        block(0, 3, "08:00", "12:00", financing="private", payers=[office["payer"].pk], payer_groups=[derm.pk]),
    )
    refused = client.post(reverse("clinic:schedule-create"), not_offered)
    assert refused.context["formset"].forms[0].errors == {
        "payer_groups": [f"Wybierz poprawną wartość. {derm.pk} nie jest żadną z dostępnych opcji."]
    }
    assert Schedule.objects.filter(practitioner=practitioner).count() == 1


def test_a_provider_without_payers_sees_no_payer_fields(client, today):
    provider = make_provider()
    client.force_login(make_user("ola", provider, "admin"))
    form = client.get(reverse("clinic:schedule-create")).context["formset"].forms[0]
    assert "payers" not in form.fields and "payer_groups" not in form.fields


def test_the_payer_visit_in_the_calendar_and_the_visit_view(client, office):
    appointment = payer_visit(office)
    day = client.get(reverse("clinic:calendar"), {"dzien": "2026-11-20", "poradnia": appointment.unit_id})
    assert 'class="tag payer"' in day.content.decode() and "TU Zdrowie" in day.content.decode()
    html = client.get(reverse("clinic:visit", args=[appointment.pk])).content.decode()
    assert '<span class="tag payer">TU Zdrowie</span> Konsultacja kardiologiczna' in html
    assert "Konsultacja kardiologiczna: 220.00 zł - zniżka: 50%" in html
    assert "SK/1 · wystawione 19.11.2026, ważne do 19.12.2026" in html


def test_one_referral_is_sent_to_the_payer_from_its_price_list(client, office, django_capture_on_commit_callbacks):
    appointment = payer_visit(office)
    url = reverse("clinic:visit-referral", args=[appointment.pk])
    outside = client.post(
        url,
        {"issued_on": "2026-11-20", "valid_until": "2026-12-20", "service": office["svc"]["KONS-DERM"].pk},
        follow=True,
    )
    assert [str(m) for m in outside.context["messages"]][0].startswith(
        "Skierowanie nie zostało wysłane: Wybierz poprawną"
    )
    backwards = client.post(
        url, {"issued_on": "2026-11-20", "valid_until": "2026-11-01", "service": office["svc"]["EKG"].pk}, follow=True
    )
    assert [str(m) for m in backwards.context["messages"]] == [
        "Data ważności nie może być wcześniejsza niż data wystawienia."
    ]
    data = {"issued_on": "2026-11-20", "valid_until": "2026-12-20", "service": office["svc"]["EKG"].pk}
    sent = client.post(url, data, follow=True)
    assert [str(m) for m in sent.context["messages"]] == ["Skierowanie zostało wysłane do ubezpieczyciela."]
    referral = Referral.objects.get(appointment=appointment, direction="sent")
    assert (referral.service_id, referral.insurer_id) == (office["svc"]["EKG"].pk, office["insurer"].pk)
    message = Message.objects.get(kind="referral_sent")
    assert message.recipient == "skierowania@tu-zdrowie.example"
    again = client.post(url, data, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "Do tej wizyty wysłano już skierowanie – można dodać tylko jedno."
    ]
    assert Referral.objects.filter(appointment=appointment, direction="sent").count() == 1
    assert "Skierowanie wysyłane" not in client.get(reverse("clinic:visit", args=[appointment.pk])).content.decode()


def test_a_visit_not_booked_by_an_insurer_sends_no_referral(client, office):
    slot = Slot.objects.filter(schedule=office["schedule"], start__gt=FROZEN_NOW).order_by("start")[1]
    visit = book_appointment(slot.pk, PATIENT)
    response = client.post(
        reverse("clinic:visit-referral", args=[visit.pk]),
        {"issued_on": "2026-11-20", "valid_until": "2026-12-20", "service": office["svc"]["EKG"].pk},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Skierowanie wysyła się tylko z wizyty umówionej przez ubezpieczyciela."
    ]
    assert Referral.objects.filter(appointment=visit).count() == 0


def test_a_cancelled_payer_visit_sends_no_referral(client, office):
    appointment = payer_visit(office)
    cancel_appointment_by_clinic(appointment, actor=office["admin"], reason="Lekarz chory")
    assert "Skierowanie wysyłane" not in client.get(reverse("clinic:visit", args=[appointment.pk])).content.decode()
    response = client.post(
        reverse("clinic:visit-referral", args=[appointment.pk]),
        {"issued_on": "2026-11-20", "valid_until": "2026-12-20", "service": office["svc"]["EKG"].pk},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Do odwołanej lub wygasłej wizyty nie można wysłać skierowania."
    ]
    assert Referral.objects.filter(appointment=appointment, direction="sent").count() == 0


def test_the_bookings_list_filters_by_payer(client, office):
    insured = payer_visit(office)
    slot = Slot.objects.filter(schedule=office["schedule"], start__gt=FROZEN_NOW).order_by("start")[1]
    private = book_appointment(slot.pk, PATIENT)
    by_payer = client.get(reverse("clinic:bookings"), {"payer": f"platnik-{office['payer'].pk}"})
    assert [a.pk for a in by_payer.context["page"].object_list] == [insured.pk]
    by_patient = client.get(reverse("clinic:bookings"), {"payer": "patient"})
    assert [a.pk for a in by_patient.context["page"].object_list] == [private.pk]
    assert list(client.get(reverse("clinic:bookings"), {"payer": "nfz"}).context["page"].object_list) == []
    assert client.get(reverse("clinic:bookings"), {"payer": "platnik-x"}).context["form"].errors == {
        "payer": ["Wybierz poprawną wartość. platnik-x nie jest żadną z dostępnych opcji."]
    }
