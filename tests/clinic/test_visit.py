"""F9: visit view with services, payer/patient shares and staff notes; the service dictionary."""

from decimal import Decimal

import pytest
from django.urls import reverse

from terminarz.booking.models import VisitNote, VisitService
from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic
from terminarz.catalog.models import Payer, Service
from terminarz.core.models import AuditEntry
from terminarz.scheduling.models import Slot
from terminarz.staff.models import Practitioner
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, every_day, make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(today, client):
    import datetime as dt

    blocks = every_day(dt.time(8), dt.time(10)) + every_day(dt.time(12), dt.time(13), financing="private")
    provider, unit, practitioner, schedule = clinic(today=today, days=2, blocks=blocks)
    slots = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start")
    nfz_slot = slots.filter(financing="nfz").first()
    private_slot = slots.filter(financing="private").first()
    consult = Service.objects.create(provider=provider, code="KONS-01", name="Konsultacja", price=Decimal("200.00"))
    ecg = Service.objects.create(provider=provider, code="EKG", name="EKG spoczynkowe", price=Decimal("45.50"))
    Service.objects.create(provider=provider, code="OLD", name="Wycofana", price=1, is_active=False)
    rachel = make_user("rachel", provider, "registrar")
    client.force_login(rachel)
    return {
        "provider": provider,
        "nfz": book_appointment(nfz_slot.pk, PATIENT),
        "private": book_appointment(private_slot.pk, {**PATIENT, "email": "b@example.com"}),
        "consult": consult,
        "ecg": ecg,
        "rachel": rachel,
    }


def add(client, appointment, **data):
    return client.post(reverse("clinic:visit-service-add", args=[appointment.pk]), data)


def test_panel_offers_active_services_with_the_slot_payer_as_default(client, visit):
    html = client.get(reverse("clinic:visit", args=[visit["nfz"].pk])).content.decode()
    assert "KONS-01 – Konsultacja" in html and "Wycofana" not in html
    assert '<option value="nfz" selected>' in html and 'name="patient_share" value="0"' in html
    html = client.get(reverse("clinic:visit", args=[visit["private"].pk])).content.decode()
    assert '<option value="patient" selected>' in html and 'name="patient_share" value="100"' in html


def test_services_with_a_split_between_payer_and_patient(client, visit):
    appointment = visit["nfz"]
    add(client, appointment, service=visit["consult"].pk, quantity=1, payer="nfz", patient_share=30)
    add(client, appointment, service=visit["ecg"].pk, quantity=2, payer="patient", patient_share=100)
    lines = list(VisitService.objects.filter(appointment=appointment).order_by("pk"))
    assert [(line.patient_amount, line.payer_amount) for line in lines] == [
        (Decimal("60.00"), Decimal("140.00")),
        (Decimal("91.00"), Decimal("0.00")),
    ]
    html = client.get(reverse("clinic:visit", args=[appointment.pk])).content.decode()
    assert "Razem 291,00 zł" in html and "151,00 zł" in html and "140,00 zł" in html
    assert AuditEntry.objects.filter(action="visit.service_added", provider=visit["provider"]).count() == 2

    # The price is frozen when the service is added.
    visit["consult"].price = Decimal("250.00")
    visit["consult"].save()
    assert VisitService.objects.get(pk=lines[0].pk).unit_price == Decimal("200.00")

    client.post(reverse("clinic:visit-service-remove", args=[appointment.pk, lines[1].pk]))
    assert VisitService.objects.filter(appointment=appointment).count() == 1
    assert AuditEntry.objects.filter(action="visit.service_removed").exists()


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"payer": "patient", "patient_share": 40}, "patient_share", "pacjent, pokrywa on 100%"),
        ({"patient_share": 120}, "patient_share", "mniejsza lub równa 100"),
        ({"quantity": 0}, "quantity", "większa lub równa 1"),
        ({"service": "999999"}, "service", "Wybierz poprawną wartość"),
    ],
)
def test_bad_service_input_gets_field_errors_and_saves_nothing(client, visit, data, field, message):
    payload = {"service": visit["consult"].pk, "quantity": 1, "payer": "nfz", "patient_share": 0, **data}
    response = add(client, visit["nfz"], **payload)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not VisitService.objects.exists()


def test_inactive_or_foreign_services_cannot_be_added(client, visit):
    other = make_provider(name="Inna")
    foreign = Service.objects.create(provider=other, code="X", name="Obca", price=1)
    inactive = Service.objects.get(code="OLD")
    for service in (foreign, inactive):
        response = add(client, visit["nfz"], service=service.pk, quantity=1, payer="nfz", patient_share=0)
        assert response.status_code == 422
    assert not VisitService.objects.exists()


def test_cancelled_visit_takes_no_services(client, visit):
    cancel_appointment_by_clinic(visit["private"], reason="choroba lekarza", actor=visit["rachel"])
    response = add(
        client, visit["private"], service=visit["consult"].pk, quantity=1, payer="patient", patient_share=100
    )
    assert response.status_code == 422 and "odwołanej" in response.content.decode()


def test_staff_notes_are_kept_with_author_and_not_in_the_audit_text(client, visit):
    url = reverse("clinic:visit-note-add", args=[visit["nfz"].pk])
    assert client.post(url, {"text": ""}).status_code == 422
    client.post(url, {"text": "Pacjent prosi o wcześniejszy termin kontroli."})
    note = VisitNote.objects.get()
    assert note.author == visit["rachel"]
    entry = AuditEntry.objects.get(action="visit.note_added")
    assert "wcześniejszy" not in entry.summary
    html = client.get(reverse("clinic:visit", args=[visit["nfz"].pk])).content.decode()
    assert "Pacjent prosi o wcześniejszy termin kontroli." in html


def test_htmx_add_returns_the_panel_only(client, visit):
    response = client.post(
        reverse("clinic:visit-service-add", args=[visit["nfz"].pk]),
        {"service": visit["consult"].pk, "quantity": 1, "payer": "nfz", "patient_share": 0},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section class="card visit-panel">')
    assert "Razem 200,00 zł" in html


def test_practitioner_may_add_notes_but_not_edit_the_service_dictionary(client, visit):
    doc = make_user("doc", visit["provider"], "practitioner")
    Practitioner.objects.filter(pk=visit["nfz"].practitioner_id).update(user=doc)  # their own visit
    client.force_login(doc)
    assert client.post(reverse("clinic:visit-note-add", args=[visit["nfz"].pk]), {"text": "ok"}).status_code == 302
    assert client.get(reverse("clinic:services")).status_code == 403


def test_admin_manages_the_service_dictionary(client, visit):
    client.force_login(make_user("alice", visit["provider"], "admin"))
    url = reverse("clinic:services")
    ok = {"code": "USG-1", "name": "USG jamy brzusznej", "price": "180.00", "vat_rate": "zw", "is_active": "on"}
    assert client.post(url, ok).status_code == 302
    assert Service.objects.get(code="USG-1").price == Decimal("180.00")
    for bad, message in (
        ({"code": "USG 2"}, "nie może zawierać spacji"),
        ({"code": "ekg"}, "już istnieje"),
        ({"price": "-5"}, "nie może być ujemna"),
        ({"name": ""}, "To pole jest wymagane"),
    ):
        response = client.post(url, {**ok, **bad})
        assert response.status_code == 422 and message in response.content.decode(), bad
    assert Service.objects.filter(provider=visit["provider"]).count() == 4
    assert AuditEntry.objects.filter(action="service.created").count() == 1


def test_an_insurer_payer_pays_its_share_of_a_service(client, visit):
    """G4: the provider's insurer payers join "Pacjent" and "NFZ"; an ended one is not offered."""
    provider = visit["provider"]
    tu = Payer.objects.create(provider=provider, insurer_ref=1, name="TU Zdrowie", imported_at=FROZEN_NOW)
    Payer.objects.create(
        provider=provider, insurer_ref=2, name="Dawny ubezpieczyciel", is_active=False, imported_at=FROZEN_NOW
    )
    other = Payer.objects.create(provider=make_provider(), insurer_ref=1, name="Cudzy", imported_at=FROZEN_NOW)
    page = client.get(reverse("clinic:visit", args=[visit["private"].pk]))
    assert page.context["service_form"].fields["payer"].choices == [
        ("patient", "Pacjent"),
        ("nfz", "NFZ"),
        (f"platnik-{tu.pk}", "TU Zdrowie"),
    ]
    refused = add(
        client, visit["private"], service=visit["consult"].pk, quantity=1, payer=f"platnik-{other.pk}", patient_share=0
    )
    assert refused.status_code == 422
    add(client, visit["private"], service=visit["consult"].pk, quantity=1, payer=f"platnik-{tu.pk}", patient_share=50)
    line = VisitService.objects.get(appointment=visit["private"])
    assert (line.payer, line.insurer_payer_id, line.patient_amount, line.payer_amount) == (
        "insurer",
        tu.pk,
        Decimal("100.00"),
        Decimal("100.00"),
    )
    html = client.get(reverse("clinic:visit", args=[visit["private"].pk])).content.decode()
    assert "<td>TU Zdrowie</td><td>50%</td>" in html
    audit = AuditEntry.objects.filter(action="visit.service_added").get()
    assert audit.summary.endswith("(płatnik: TU Zdrowie, udział pacjenta 50%)")
