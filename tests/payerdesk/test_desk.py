"""An insurer's desk (`/ubezpieczyciel/`): sign-in with a second factor always required, offers
accepted or rejected with a reason, location codes, new terms versions, received price lists
verified. An insurer sees only its own offers and price lists: every desk URL probed with
another insurer's ids answers 404."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, get_resolver, reverse

from terminarz.booking.models import Appointment, VisitService
from terminarz.catalog import pricelists as catalog_pricelists
from terminarz.catalog.models import Payer
from terminarz.core.models import AuditEntry
from terminarz.core.tenancy import insurer_scope
from terminarz.factors.models import EmailDevice
from terminarz.insurers import desk, payer_booking, pricelists, services
from terminarz.insurers.models import (
    CooperationStatus,
    InsurerMembership,
    InsurerTerms,
    LocationCode,
    PriceListPublication,
)
from terminarz.providers.models import Location
from terminarz.scheduling.models import Slot
from tests.clinic.test_two_factor import mark_verified
from tests.conftest import FROZEN_NOW
from tests.factories import VALID_PESEL, clinic, every_day, make_provider
from tests.insurers.helpers import (
    PASSWORD,
    cooperate,
    make_insurer,
    online_for_insurers,
    p12_upload,
    payer_of,
    payer_schedule,
    price_list_services,
)

pytestmark = pytest.mark.django_db
S = CooperationStatus
INSURED = {
    "first_name": "Jan",
    "last_name": "Ubezpieczony",
    "pesel": VALID_PESEL,
    "phone": "",
    "email": "jan@example.com",
    "accept_requirements": True,
}


def desk_user(insurer, username="agata", role="admin", verified_client=None):
    user = get_user_model().objects.create_user(username, f"{username}@ubezp.example", "haslo-testowe-123")
    InsurerMembership.objects.create(user=user, insurer=insurer, role=role)
    device = EmailDevice.objects.create(user=user, name="e-mail", confirmed=True, email=user.email)
    if verified_client is not None:
        verified_client.force_login(user)
        mark_verified(verified_client, device)
    return user


@pytest.fixture
def world(frozen, client):
    provider = make_provider()
    clinic_admin = get_user_model().objects.create_user("kasia", password="x")
    tu = make_insurer()
    ump = make_insurer("ump", "Ubezpieczenia Medyczne Polska", nip="")
    offer = cooperate(provider, tu, clinic_admin, until="offer_sent")
    desk_user(tu, verified_client=client)
    return {"provider": provider, "tu": tu, "ump": ump, "offer": offer, "clinic_admin": clinic_admin}


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_the_desk_asks_for_a_password_then_always_for_a_second_factor(client, frozen):
    tu = make_insurer()
    assert client.get(reverse("payerdesk:home"))["Location"] == "/ubezpieczyciel/logowanie/?next=/ubezpieczyciel/"
    user = get_user_model().objects.create_user("bez-skladnika", "b@ubezp.example", "haslo-testowe-123")
    InsurerMembership.objects.create(user=user, insurer=tu, role="admin")
    signed = client.post(
        reverse("payerdesk:login"),
        {"username": "bez-skladnika", "password": "haslo-testowe-123", "next": "/ubezpieczyciel/"},
    )
    assert signed["Location"] == "/ubezpieczyciel/"
    setup = client.get(reverse("payerdesk:home"), follow=True)
    assert setup.redirect_chain[-1][0] == reverse("clinic:2fa")
    assert messages_of(setup) == [
        "TU Zdrowie wymaga logowania dwuskładnikowego. Włącz drugi składnik, aby kontynuować."
    ]
    client.logout()
    EmailDevice.objects.create(user=user, name="e-mail", confirmed=True, email=user.email)
    with_factor = client.post(
        reverse("payerdesk:login"),
        {"username": "bez-skladnika", "password": "haslo-testowe-123", "next": "/ubezpieczyciel/"},
    )
    assert with_factor["Location"] == reverse("clinic:2fa-verify")
    assert client.get(reverse("payerdesk:home"))["Location"] == reverse("clinic:2fa-verify")


def test_someone_without_an_insurer_gets_no_access(client, frozen):
    get_user_model().objects.create_user("obcy", password="x")
    client.force_login(get_user_model().objects.get(username="obcy"))
    response = client.get(reverse("payerdesk:home"))
    assert response.status_code == 403
    assert "Brak dostępu do panelu ubezpieczyciela" in response.content.decode()


def test_accepting_an_offer_activates_the_cooperation_and_the_payer(client, world):
    page = client.get(reverse("payerdesk:home"))
    assert [c.pk for c in page.context["rows"]] == [world["offer"].pk]
    response = client.post(
        reverse("payerdesk:offer", args=[world["offer"].pk]), {"action": "decide", "decision": "accept"}, follow=True
    )
    assert messages_of(response) == [f"Oferta zaakceptowana – współpraca z {world['provider'].name} jest aktywna."]
    world["offer"].refresh_from_db()
    assert world["offer"].status == S.ACTIVE
    assert payer_of(world["provider"], world["tu"]).is_active is True
    again = client.post(
        reverse("payerdesk:offer", args=[world["offer"].pk]), {"action": "decide", "decision": "reject", "reason": "x"}
    )
    assert again.status_code == 422
    assert messages_of(again) == ["Nie można zmienić statusu współpracy z „Współpraca aktywna” na „Oferta odrzucona”."]


def test_a_rejection_needs_a_reason_and_the_provider_sees_it(client, world):
    url = reverse("payerdesk:offer", args=[world["offer"].pk])
    missing = client.post(url, {"action": "decide", "decision": "reject", "reason": "  "})
    assert missing.status_code == 422
    assert missing.context["form"].errors == {"reason": ["Podaj powód odrzucenia oferty."]}
    client.post(url, {"action": "decide", "decision": "reject", "reason": "Brak polisy OC."})
    world["offer"].refresh_from_db()
    assert (world["offer"].status, world["offer"].decision_reason) == (S.REJECTED, "Brak polisy OC.")
    assert Payer.objects.filter(provider=world["provider"]).count() == 0


def test_the_insurer_gives_location_codes_and_spaces_are_refused(client, world):
    location = world["provider"].locations.get()
    url = reverse("payerdesk:offer", args=[world["offer"].pk])
    bad = client.post(url, {"action": "code", "location": location.pk, "code": "TU 001"})
    assert bad.status_code == 422
    assert messages_of(bad) == ["Kod wprowadź bez spacji."]
    client.post(url, {"action": "code", "location": location.pk, "code": "TU001"})
    code = LocationCode.objects.get(insurer=world["tu"], location=location)
    assert (code.operator_code, code.status) == ("TU001", "none")
    services.enter_provider_code(world["provider"].pk, world["tu"], location.pk, "TU001", actor=world["clinic_admin"])
    code.refresh_from_db()
    assert code.status == "accepted"


def test_an_agent_reads_but_does_not_decide(client, world):
    client.logout()
    desk_user(world["tu"], "konsultant", role="agent", verified_client=client)
    url = reverse("payerdesk:offer", args=[world["offer"].pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "decide", "decision": "accept"}).status_code == 404
    assert client.post(reverse("payerdesk:terms"), {"kind": "insurer_general"}).status_code == 404
    world["offer"].refresh_from_db()
    assert world["offer"].status == S.OFFER_SENT


def test_a_new_terms_version_is_published_and_checked(client, world):
    url = reverse("payerdesk:terms")
    data = {
        "kind": "insurer_general",
        "title": "Regulamin",
        "version": "1.0",
        "effective_from": "2026-12-01T08:00",
        "body": "§ 1.",
    }
    duplicate = client.post(url, data)
    assert duplicate.context["form"].errors == {
        "version": ["Ta wersja tego regulaminu już istnieje – podaj nowy numer wersji."]
    }
    past = client.post(url, {**data, "version": "2.0", "effective_from": "2026-11-01T08:00"})
    assert past.context["form"].errors == {"effective_from": ["Data obowiązywania nie może być w przeszłości."]}
    response = client.post(url, {**data, "version": "2.0"}, follow=True)
    assert messages_of(response) == ["Opublikowano Regulamin, wersja 2.0."]
    made = InsurerTerms.objects.of(world["tu"]).get(version="2.0")
    assert made.effective_from == dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)  # 08:00 in Warsaw
    assert [(t.version, in_force) for t, in_force in response.context["versions"]] == [("2.0", False), ("1.0", True)]


def test_a_received_price_list_is_read_from_the_verified_document(client, world):
    services.decide(world["offer"], accept=True, reason="", actor=None)
    provider, clinic_admin = world["provider"], world["clinic_admin"]
    payer = payer_of(provider, world["tu"])
    svc = price_list_services(provider)
    catalog_pricelists.override(payer, svc["EKG"], actor=clinic_admin)
    pricelists.upload_certificate(provider.pk, upload=p12_upload(), password=PASSWORD, actor=clinic_admin)
    publication = pricelists.publish(payer, password=PASSWORD, actor=clinic_admin)
    page = client.get(reverse("payerdesk:price-list", args=[publication.pk]))
    received = page.context["received"]
    assert received.verified is True
    assert [(s["code"], str(s["price"]), s["vat"]) for s in received.services] == [("EKG", "60.00", "zw.")]
    assert "60,00 zł" in page.content.decode()
    PriceListPublication.objects.filter(pk=publication.pk).update(
        document=publication.document.replace('cenaBrutto="60.00"', 'cenaBrutto="6.00"')
    )
    tampered = client.get(reverse("payerdesk:price-list", args=[publication.pk]))
    assert (tampered.context["received"].verified, tampered.context["received"].services) == (False, [])
    assert "Podpis nieprawidłowy – nie korzystaj z tego cennika" in tampered.content.decode()


def test_every_desk_url_with_an_id_gives_404_for_another_insurers_objects(client, world):
    """Like tenant isolation: UMP's offer, its documents and its price list, seen from TU."""
    other_provider = make_provider()
    ump_offer = cooperate(other_provider, world["ump"], world["clinic_admin"])
    ump_payer = payer_of(other_provider, world["ump"])
    svc = price_list_services(other_provider)
    catalog_pricelists.override(ump_payer, svc["EKG"], actor=world["clinic_admin"])
    pricelists.upload_certificate(
        other_provider.pk, upload=p12_upload(), password=PASSWORD, actor=world["clinic_admin"]
    )
    ump_list = pricelists.publish(ump_payer, password=PASSWORD, actor=world["clinic_admin"])
    document = ump_offer.documents.get()
    # a slot offered to UMP only, and a visit UMP booked there
    online_for_insurers(other_provider, world["ump"])
    catalog_pricelists.override(ump_payer, svc["KONS-KARD"], actor=world["clinic_admin"])
    _, _, _, schedule = clinic(
        today=FROZEN_NOW.date(),
        days=2,
        provider=other_provider,
        blocks=every_day(dt.time(8), dt.time(12), financing="private"),
    )
    for block in schedule.blocks.all():
        block.payers.add(ump_payer)
        block.payer_groups.add(svc["EKG"].group)
    ump_slots = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start")
    ump_visit = payer_booking.book_for_insured(
        world["ump"],
        ump_slots[0].pk,
        patient={**INSURED},
        service_id=svc["EKG"].pk,
        discount=100,
        referral=None,
        actor=None,
    )
    foreign = {
        "cooperation_id": ump_offer.pk,
        "document_id": document.pk,
        "publication_id": ump_list.pk,
        "slot_id": ump_slots[1].pk,
        "booking_id": ump_visit.payer_booking.pk,
        "terms_id": InsurerTerms.objects.create(
            insurer=world["ump"],
            kind="insurer_thematic",
            area="laboratory",
            title="Badania",
            version="1.0",
            body="§",
            effective_from=FROZEN_NOW,
        ).pk,
    }
    desk_patterns = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "payerdesk")
    walked = 0
    for pattern in desk_patterns.url_patterns:
        assert isinstance(pattern, URLPattern)
        params = pattern.pattern.converters
        if not params:
            continue
        url = reverse(f"payerdesk:{pattern.name}", kwargs={name: foreign[name] for name in params})
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "decide", "decision": "accept"}).status_code == 404, url
        walked += 1
    assert walked == 7
    ump_visit.refresh_from_db()
    assert ump_visit.status == "confirmed"
    assert Appointment.objects.filter(source="payer").count() == 1
    ump_offer.refresh_from_db()
    assert ump_offer.status == S.ACTIVE
    home = client.get(reverse("payerdesk:home"))
    assert other_provider.name not in home.content.decode()
    lists = client.get(reverse("payerdesk:price-lists"))
    assert list(lists.context["publications"]) == []
    # an offer still being prepared is not shown to the insurer either
    preparing = services.start(
        services.cooperation(other_provider.pk, world["tu"]), terms_version="1.0", understood=True, actor=None
    )
    assert client.get(reverse("payerdesk:offer", args=[preparing.pk])).status_code == 404


def test_offer_documents_are_served_to_the_insurer_and_audited(client, world):
    document = world["offer"].documents.get()
    response = client.get(reverse("payerdesk:offer-document", args=[world["offer"].pk, document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    entry = AuditEntry.objects.get(provider_id=world["provider"].pk, action="insurance.document_downloaded")
    assert entry.summary == "Pobranie dokumentu przez ubezpieczyciela TU Zdrowie: Wpis do rejestru"


def test_the_scope_keeps_other_providers_rows_out(world):
    """The desk's tenancy scope holds only the providers that sent this insurer an offer."""
    other = make_provider()
    with insurer_scope(desk.provider_ids(world["tu"].pk)):
        assert set(Location.objects.values_list("provider_id", flat=True)) == {world["provider"].pk}
    assert other.pk != world["provider"].pk


def test_an_agent_finds_a_slot_and_books_an_insured_patient_with_a_discount_and_a_referral(client, frozen):
    provider = make_provider()
    clinic_admin = get_user_model().objects.create_user("kasia", password="x")
    tu = make_insurer()
    payer, svc, schedule = payer_schedule(provider, tu, clinic_admin, today=FROZEN_NOW.date())
    practitioner = schedule.practitioner
    practitioner.languages = "polski, angielski"
    practitioner.save()
    practitioner.procedures.add(svc["EKG"])
    desk_user(tu, "konsultant", role="agent", verified_client=client)
    search = client.get(reverse("payerdesk:slots"), {"language": "angiel", "procedure": "EKG", "city": "Kraków"})
    found = search.context["slots"]
    assert len(found) == 39  # 08:00–12:00 by 15 min: from 10:15 (7) on the frozen day, 16 on days 2 and 3
    assert {s.schedule_id for s in found} == {schedule.pk}
    nobody = client.get(reverse("payerdesk:slots"), {"language": "niemiecki"})
    assert list(nobody.context["slots"]) == []
    slot = found[0]
    page = client.get(reverse("payerdesk:book", args=[slot.pk]))
    assert [label for _value, label in page.context["form"].fields["service"].choices] == [
        "– wybierz –",
        "EKG spoczynkowe – 60.00 zł",
        "Konsultacja kardiologiczna – 220.00 zł",
    ]
    key = page.context["form"].initial["submission_key"]
    data = {
        **INSURED,
        "service": svc["KONS-KARD"].pk,
        "discount": 50,
        "referral_number": "SK/7",
        "referral_issued_on": "2026-11-19",
        "referral_valid_until": "2026-12-19",
        "submission_key": key,
    }
    bad = client.post(reverse("payerdesk:book", args=[slot.pk]), {**data, "referral_valid_until": ""})
    assert bad.context["form"].errors == {"referral_valid_until": ["Podaj datę ważności skierowania."]}
    done = client.post(reverse("payerdesk:book", args=[slot.pk]), data, follow=True)
    appointment = Appointment.objects.get(source="payer")
    assert [str(m) for m in done.context["messages"]] == [
        f"Umówiono wizytę {appointment.reference}: 20.11.2026 10:15, {practitioner.full_name}."
    ]
    again = client.post(reverse("payerdesk:book", args=[slot.pk]), data)
    assert again["Location"] == reverse("payerdesk:visit", args=[appointment.payer_booking.pk])  # the same visit
    assert Appointment.objects.filter(source="payer").count() == 1
    line = VisitService.objects.get(appointment=appointment)
    assert (line.patient_share, line.insurer_payer_id) == (50, payer.pk)
    visit = client.get(reverse("payerdesk:visit", args=[appointment.payer_booking.pk]))
    html = visit.content.decode()
    assert "Konsultacja kardiologiczna: 220.00 zł - zniżka: 50%" in html and "SK/7" in html
    cancelled = client.post(
        reverse("payerdesk:visit", args=[appointment.payer_booking.pk]), {"reason": "Rezygnacja"}, follow=True
    )
    assert [str(m) for m in cancelled.context["messages"]] == ["Wizyta została odwołana – pacjent dostanie wiadomość."]
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_a_desk_account_is_staff_outside_the_patient_area_and_keeps_its_factor(client, world):
    """Security review: a desk account must not use patient pages (which could remove its e-mail
    factor), and cannot switch its factor off – its insurer requires it."""
    client.logout()
    user = get_user_model().objects.get(username="agata")
    client.force_login(user)  # the password only: the code is still owed
    assert client.get("/konto/").status_code == 403
    assert client.post("/konto/kod-email/", {"action": "disable"}).status_code == 403
    assert EmailDevice.objects.filter(user=user).count() == 1
    mark_verified(client, EmailDevice.objects.get(user=user))
    refused = client.post(reverse("clinic:2fa"), {"action": "disable"})
    assert refused.context["error"] == "Nie można wyłączyć: wymaga tego TU Zdrowie."
    assert EmailDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_codes_only_while_an_offer_stands_and_bad_requests_are_not_500(client, world):
    location = world["provider"].locations.get()
    url = reverse("payerdesk:offer", args=[world["offer"].pk])
    client.post(url, {"action": "decide", "decision": "reject", "reason": "Brak polisy."})
    assert client.post(url, {"action": "code", "location": location.pk, "code": "TU1"}).status_code == 404
    assert LocationCode.objects.filter(location=location).count() == 0
    loop = client.get(reverse("payerdesk:login"), {"next": reverse("payerdesk:login")})
    assert (loop.status_code, loop["Location"]) == (302, reverse("payerdesk:home"))
    document = world["offer"].documents.get()
    document.file.delete(save=False)
    missing = client.get(reverse("payerdesk:offer-document", args=[world["offer"].pk, document.pk]))
    assert missing.status_code == 404


def test_location_code_changes_are_audited_with_before_and_after(client, world):
    location = world["provider"].locations.get()
    url = reverse("payerdesk:offer", args=[world["offer"].pk])
    client.post(url, {"action": "code", "location": location.pk, "code": "REJ1"})
    client.post(url, {"action": "code", "location": location.pk, "code": "REJ2"})
    entries = AuditEntry.objects.filter(provider_id=world["provider"].pk, action="location_code.operator").order_by(
        "pk"
    )
    assert [e.changes for e in entries] == [
        {"operator_code": {"before": "", "after": "REJ1"}},
        {"operator_code": {"before": "REJ1", "after": "REJ2"}},
    ]


def test_a_visit_that_has_started_cannot_be_cancelled_by_the_insurer(client, frozen):
    provider = make_provider()
    clinic_admin = get_user_model().objects.create_user("kasia", password="x")
    tu = make_insurer()
    payer, svc, schedule = payer_schedule(provider, tu, clinic_admin, today=FROZEN_NOW.date())
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    appointment = payer_booking.book_for_insured(
        tu, slot.pk, patient=INSURED, service_id=svc["EKG"].pk, discount=100, referral=None, actor=None
    )
    desk_user(tu, verified_client=client)
    frozen.move_to(appointment.start + dt.timedelta(minutes=20))
    url = reverse("payerdesk:visit", args=[appointment.payer_booking.pk])
    assert client.get(url).context["can_cancel"] is False
    refused = client.post(url, {"reason": "za późno"})
    assert refused.context["form"].errors == {"reason": ["Wizyty, która już się rozpoczęła, nie można odwołać."]}
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"
