"""Registrar's day: calendar (F1), desk booking (F2), clinic-side cancel and move (F4)."""

import datetime as dt

import pytest
from django.urls import URLPattern, get_resolver, reverse

from terminarz.booking.models import Appointment
from terminarz.catalog.models import Contract, Payer, ServiceGroup
from terminarz.core.models import AuditEntry
from terminarz.insurers.models import Insurer, PriceListPublication, Settlement, SigningCertificate
from terminarz.integrations import services as integrations
from terminarz.integrations import webhooks
from terminarz.marketing.models import Campaign
from terminarz.notifications.models import Message
from terminarz.patients.models import Patient
from terminarz.patients.services import match_or_create_patient
from terminarz.providers.models import Membership
from terminarz.records.models import RodoRequest
from terminarz.scheduling.models import Slot
from terminarz.subscriptions.models import Subscription
from terminarz.waiting.models import QueueEntry
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, clinic, every_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(today, client):
    blocks = every_day(dt.time(10), dt.time(12)) + every_day(dt.time(13), dt.time(14), callcenter_only=True)
    provider_a, _, practitioner_a, schedule_a = clinic(today=today, days=3, blocks=blocks)
    provider_b, _, _, schedule_b = clinic(today=today, days=3)
    kowalski = match_or_create_patient(
        provider_a,
        first_name="Jan",
        last_name="Kowalski",
        email="jan@example.com",
        phone="600 100 200",
        pesel=VALID_PESEL,
    )
    patient_b = match_or_create_patient(
        provider_b, first_name="Ola", last_name="Beta", email="ola@example.com", phone="", pesel=""
    )
    slots_a = list(Slot.objects.filter(schedule=schedule_a, start__gt=FROZEN_NOW).order_by("start"))
    slot_b = Slot.objects.filter(schedule=schedule_b, start__gt=FROZEN_NOW).order_by("start").first()
    rachel = make_user("rachel", provider_a, "registrar")
    client.force_login(rachel)
    return {
        "a": provider_a,
        "b": provider_b,
        "practitioner": practitioner_a,
        "kowalski": kowalski,
        "patient_b": patient_b,
        "slots": slots_a,
        "slot_b": slot_b,
        "rachel": rachel,
    }


def book_url(slot):
    return reverse("clinic:desk-booking", args=[slot.pk])


@pytest.mark.parametrize("query", [VALID_PESEL, "600100200", "+48 600 100 200", "kowal", "jan kowal"])
def test_find_patient_by_pesel_phone_or_name(client, desk, query):
    html = client.get(book_url(desk["slots"][0]), {"q": query}).content.decode()
    assert f'name="patient" value="{desk["kowalski"].pk}"' in html


def test_search_never_shows_another_providers_patient(client, desk):
    html = client.get(book_url(desk["slots"][0]), {"q": "Beta"}).content.decode()
    assert "Ola" not in html and "Nie znaleziono pacjenta" in html


def test_desk_books_existing_patient_and_sends_confirmation(client, desk, django_capture_on_commit_callbacks):
    slot = desk["slots"][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(book_url(slot), {"patient": desk["kowalski"].pk, "note": "kontrola"})
    assert response.status_code == 302
    visit = Appointment.objects.get(slot=slot)
    assert visit.source == "desk" and visit.patient == desk["kowalski"] and visit.booked_by == desk["rachel"]
    assert Message.objects.filter(kind="booking_confirmation", recipient="jan@example.com", status="sent").exists()
    day = client.get(response["Location"]).content.decode()
    assert "Umówiono wizytę" in day and visit.reference in day


def test_desk_books_call_center_only_slot(client, desk):
    cc = next(s for s in desk["slots"] if s.callcenter_only)
    assert client.post(book_url(cc), {"patient": desk["kowalski"].pk}).status_code == 302


def test_new_patient_at_desk_is_validated_then_created_and_audited(client, desk):
    slot = desk["slots"][0]
    bad = client.post(book_url(slot), {"nowy-first_name": "Ewa", "nowy-last_name": "", "nowy-pesel": "12345678901"})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "Podaj nazwisko." in html and "Nieprawidłowy numer PESEL" in html
    assert Patient.objects.filter(provider=desk["a"]).count() == 1 and not Appointment.objects.exists()
    ok = client.post(book_url(slot), {"nowy-first_name": "Ewa", "nowy-last_name": "Nowa", "nowy-phone": "601 000 000"})
    assert ok.status_code == 302
    ewa = Patient.objects.get(provider=desk["a"], last_name="Nowa")
    assert Appointment.objects.get(slot=slot).patient == ewa
    entry = AuditEntry.objects.get(action="patient.created")
    assert entry.provider == desk["a"] and "Nowa" not in entry.summary and "601" not in entry.summary


def test_taken_slot_at_desk_says_so(client, desk):
    slot = desk["slots"][0]
    client.post(book_url(slot), {"patient": desk["kowalski"].pk})
    again = client.post(book_url(slot), {"patient": desk["kowalski"].pk})
    assert again.status_code == 422 and "Ten termin jest już zajęty" in again.content.decode()


def test_calendar_day_shows_slots_states_and_visits(client, desk):
    slot = desk["slots"][0]
    client.post(book_url(slot), {"patient": desk["kowalski"].pk, "note": "<i>uwaga</i>"})
    html = client.get(reverse("clinic:calendar"), {"lekarz": desk["practitioner"].pk, "dzien": "2026-11-20"}).content
    html = html.decode()
    assert "Kowalski" in html and "&lt;i&gt;uwaga&lt;/i&gt;" in html
    assert html.count("tg-item state-free") >= 5 and "CC" in html
    assert reverse("clinic:desk-booking", args=[desk["slots"][1].pk]) in html


def test_clinic_cancel_requires_reason_frees_slot_and_notifies(client, desk, django_capture_on_commit_callbacks):
    slot = desk["slots"][0]
    client.post(book_url(slot), {"patient": desk["kowalski"].pk})
    visit = Appointment.objects.get(slot=slot)
    url = reverse("clinic:cancel-visit", args=[visit.pk])
    assert "Podaj powód odwołania" in client.post(url, {"reason": " "}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"reason": "Choroba lekarza"}).status_code == 302
    visit.refresh_from_db()
    slot.refresh_from_db()
    assert visit.status == "cancelled" and slot.state == "free"
    message = Message.objects.get(kind="booking_cancelled_by_clinic", channel="email")
    assert "Choroba lekarza" in message.body and message.status == "sent"


def test_clinic_moves_visit_to_another_day(client, desk, django_capture_on_commit_callbacks):
    old, new = (
        desk["slots"][0],
        next(s for s in desk["slots"] if s.day > desk["slots"][0].day and not s.callcenter_only),
    )
    client.post(book_url(old), {"patient": desk["kowalski"].pk})
    visit = Appointment.objects.get(slot=old)
    url = reverse("clinic:move-visit", args=[visit.pk])
    page = client.get(url, {"dzien": f"{new.day:%Y-%m-%d}"}).content.decode()
    assert f'value="{new.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"slot": new.pk}).status_code == 302
    visit.refresh_from_db()
    old.refresh_from_db()
    new.refresh_from_db()
    assert (visit.slot_id, visit.start, visit.reference) == (new.pk, new.start, visit.reference)
    assert old.state == "free" and new.state == "booked"
    assert Message.objects.filter(kind="booking_moved", status="sent").exists()
    assert AuditEntry.objects.filter(action="appointment.moved", object_id=str(visit.pk)).exists()


def test_move_to_a_taken_slot_changes_nothing(client, desk):
    first, second = desk["slots"][0], desk["slots"][1]
    client.post(book_url(first), {"patient": desk["kowalski"].pk})
    client.post(book_url(second), {"patient": desk["kowalski"].pk})
    visit = Appointment.objects.get(slot=first)
    response = client.post(reverse("clinic:move-visit", args=[visit.pk]), {"slot": second.pk})
    assert response.status_code == 422 and "zajęty" in response.content.decode()
    visit.refresh_from_db()
    assert visit.slot_id == first.pk


def test_practitioner_role_sees_calendar_but_cannot_book(client, desk):
    paul = make_user("paul", desk["a"], "practitioner")
    client.force_login(paul)
    assert client.get(reverse("clinic:calendar")).status_code == 200
    assert client.get(book_url(desk["slots"][0])).status_code == 403
    assert client.post(book_url(desk["slots"][0]), {"patient": desk["kowalski"].pk}).status_code == 403
    assert not Appointment.objects.exists()


def test_every_clinic_url_with_an_id_gives_404_for_another_providers_objects(client, desk):
    """L3: walk every back-office URL that takes an object id with provider B's ids."""
    from terminarz.booking.services import book_appointment

    client.force_login(make_user("alice", desk["a"], "admin"))  # every permission: only tenancy can stop it
    make_user("bob_admin", desk["b"], "admin")
    visit_b = book_appointment(desk["slot_b"].pk, PATIENT)
    from terminarz.patients.services import add_card

    card_b = add_card(desk["patient_b"], "B" * 18, actor=None)
    from terminarz.booking.visits import add_service
    from terminarz.catalog.models import Service

    service_b = Service.objects.create(provider=desk["b"], code="B1", name="Usługa B", price=10)
    line_b = add_service(visit_b, service_b, quantity=1, payer="patient", patient_share=100, actor=None)
    group_b = ServiceGroup.objects.create(provider=desk["b"], code="GB", name="Grupa B")
    payer_b = Payer.objects.create(provider=desk["b"], insurer_ref=1, name="Płatnik B", imported_at=FROZEN_NOW)
    publication_b = PriceListPublication.objects.create(
        provider=desk["b"],
        insurer=Insurer.objects.create(name="TU B", slug="tu-b"),
        payer=payer_b,
        created_at=FROZEN_NOW,
        certificate=SigningCertificate.objects.create(
            provider=desk["b"],
            pkcs12="",
            certificate_pem="",
            subject="B",
            serial="1",
            not_before=FROZEN_NOW,
            not_after=FROZEN_NOW,
            uploaded_at=FROZEN_NOW,
        ),
        services_count=0,
        fingerprint="",
        document="<B/>",
    )
    other_ids = {
        "slot_id": desk["slot_b"].pk,
        "appointment_id": visit_b.pk,
        "patient_id": desk["patient_b"].pk,
        "card_id": card_b.pk,
        "schedule_id": desk["slot_b"].schedule_id,
        "unit_id": desk["slot_b"].unit_id,
        "location_id": desk["slot_b"].unit.location_id,
        "practitioner_id": desk["slot_b"].practitioner_id,
        "kind": "specjalista",  # a payment rule of provider B's practitioner
        "target_id": desk["slot_b"].practitioner_id,
        "invoice_id": 999999,  # no invoice of provider A has it (invoices' isolation: test_invoices.py)
        "fmt": "pdf",
        "slug": "tu-zdrowie",  # an insurer's document of provider A: none exists for this id
        "document_id": 999999,
        "membership_id": Membership.objects.get(user__username="bob_admin").pk,
        "block_id": desk["slot_b"].block_id,
        "service_id": service_b.pk,
        "group_id": group_b.pk,
        "payer_id": payer_b.pk,
        "publication_id": publication_b.pk,
        "credential_id": integrations.create(
            desk["b"].pk, name="B", scopes=["system/Slot.read"], alert_after_minutes=30, actor=None
        )[0].pk,
        "webhook_id": webhooks.create(
            desk["b"].pk, url="https://b.example.com/hook", events=["appointment.booked"], actor=None
        )[0].pk,
        "campaign_id": Campaign.objects.create(provider=desk["b"], name="B", body="Tekst B").pk,
        "contract_id": Contract.objects.create(
            provider=desk["b"],
            name="Umowa B",
            signed_on="2026-11-01",
            valid_from="2027-01-01",
            valid_to="2027-12-31",
            payment_type="transfer",
            payer=payer_b,
            status="draft",
        ).pk,
        "settlement_id": Settlement.objects.create(
            provider=desk["b"],
            insurer=publication_b.insurer,
            number="RO/B/1",
            period_start="2026-11-01",
            period_end="2026-11-30",
            total=0,
            due_date="2026-12-03",
            status="due",
            created_at=FROZEN_NOW,
        ).pk,
        "tab": "nadpisane",
        "line_id": line_b.pk,
        "request_id": RodoRequest.objects.create(
            provider=desk["b"], patient=desk["patient_b"], kind="access", text="x", due_date="2026-12-20"
        ).pk,
        "subscription_id": Subscription.objects.create(
            provider=desk["b"], kind="full", quantity=1, status="ordered", ordered_at=FROZEN_NOW
        ).pk,
        "entry_id": QueueEntry.objects.create(
            provider=desk["b"], unit_id=desk["slot_b"].unit_id, patient=desk["patient_b"]
        ).pk,
    }
    clinic_patterns = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "clinic")
    walked = 0
    for pattern in clinic_patterns.url_patterns:
        assert isinstance(pattern, URLPattern)
        params = pattern.pattern.converters
        if not any(name.endswith("_id") for name in params):
            continue
        if pattern.name.startswith("onboarding-"):
            continue  # public pages behind a secret token, no tenant's object: test_onboarding_wizard.py
        url = reverse(f"clinic:{pattern.name}", kwargs={name: other_ids[name] for name in params})
        assert client.get(url).status_code in (404, 405), url  # 405: POST-only, nothing revealed
        assert (
            client.post(url, {"reason": "x", "slot": desk["slots"][0].pk, "patient": desk["kowalski"].pk}).status_code
            == 404
        ), url
        walked += 1
    assert walked >= 7
    mixed = reverse("clinic:card-activate", kwargs={"patient_id": desk["kowalski"].pk, "card_id": card_b.pk})
    assert client.post(mixed).status_code == 404
    # and a patient id of provider B is refused when booking
    assert client.post(book_url(desk["slots"][0]), {"patient": desk["patient_b"].pk}).status_code == 404
    visit_b.refresh_from_db()
    assert visit_b.status == "confirmed"


def test_visit_panel_shows_note_source_and_history(client, desk):
    from terminarz.booking.services import book_appointment

    visit = book_appointment(desk["slots"][0].pk, {**PATIENT, "note": "<b>Proszę o skierowanie</b>"})
    client.post(reverse("clinic:move-visit", args=[visit.pk]), {"slot": desk["slots"][1].pk})
    panel = client.get(reverse("clinic:visit", args=[visit.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in panel
    assert "&lt;b&gt;Proszę o skierowanie&lt;/b&gt;" in panel and "portal" in panel
    assert "zarezerwowana" in panel and "przeniesiona" in panel and "rachel" in panel
