"""G1, G2 in the back-office: the insurance-service terms, online registration for insurers and
one insurer's tabs – Nawiąż współpracę, Parametry (IBAN), Dokumenty wymagane, the offer, the end."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from terminarz.insurers import services
from terminarz.insurers.models import Cooperation, Insurer, InsurerTerms
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%test\n"


@pytest.fixture
def office(client, frozen):
    provider = make_provider()
    insurer = Insurer.objects.create(
        name="TU Zdrowie", slug="tu-zdrowie", required_documents=["Wpis do rejestru"], description="Oferta TU Zdrowie."
    )
    InsurerTerms.objects.create(
        insurer=insurer,
        title="Regulamin ogólny",
        version="2.0",
        body="§ 1.",
        effective_from=FROZEN_NOW - dt.timedelta(days=1),
    )
    admin = make_user("ada", provider, "admin")
    client.force_login(admin)
    return provider, insurer, admin


def tab(insurer, name):
    return reverse("clinic:insurer-tab", args=[insurer.slug, name])


def test_the_service_terms_need_both_ticks(client, office):
    provider, insurer, _ = office
    page = client.get(reverse("clinic:insurance")).content.decode()
    assert "Akceptuję regulamin" in page and 'href="/gabinet/ubezpieczenia/tu-zdrowie/"' not in page
    refused = client.post(reverse("clinic:insurance"), {"action": "accept", "accept": "1"}, follow=True)
    assert [str(m) for m in refused.context["messages"]] == ["Zaznacz „Potwierdzam poprawność danych”."]
    assert services.insurance_service(provider.pk).active is False
    response = client.post(
        reverse("clinic:insurance"), {"action": "accept", "accept": "1", "data_confirmed": "1"}, follow=True
    )
    assert services.insurance_service(provider.pk).active is True
    assert [str(m) for m in response.context["messages"]] == [
        "Regulamin został zaakceptowany – usługa Ubezpieczenia jest aktywna."
    ]


def test_from_no_cooperation_to_an_offer_sent(client, office):
    provider, insurer, _ = office
    client.post(reverse("clinic:insurance"), {"action": "accept", "accept": "1", "data_confirmed": "1"})
    client.post(tab(insurer, "regulaminy"), {"action": "start", "terms_version": "2.0", "understood": "1"})
    bad = client.post(
        tab(insurer, "parametry"),
        {
            "action": "parameters",
            "start_date": "2026-12-01",
            "iban": "PL61 1090 1014 0000 0712 1981 2875",
            "contact_name": "Anna",
        },
    )
    assert bad.status_code == 422
    assert bad.context["parameters_form"].errors["iban"] == [
        "Nieprawidłowy numer konta – sprawdź cyfry (błędna suma kontrolna)."
    ]
    client.post(
        tab(insurer, "parametry"),
        {
            "action": "parameters",
            "start_date": "2026-12-01",
            "iban": "61 1090 1014 0000 0712 1981 2874",
            "contact_name": "Anna Kowalska",
            "contact_email": "anna@example.com",
        },
    )
    wrong = client.post(
        tab(insurer, "dokumenty"),
        {"action": "document", "title": "Wpis do rejestru", "file": SimpleUploadedFile("wpis.exe", b"MZ")},
    )
    assert wrong.context["document_form"].errors["file"] == ["Dodaj plik PDF lub JPG."]
    client.post(
        tab(insurer, "dokumenty"),
        {"action": "document", "title": "Wpis do rejestru", "file": SimpleUploadedFile("wpis.pdf", PDF)},
    )
    client.post(tab(insurer, "informacje"), {"action": "offer"})
    coop = Cooperation.objects.get(provider=provider, insurer=insurer)
    assert (coop.status, coop.iban) == ("offer_sent", "PL61109010140000071219812874")
    history = client.get(tab(insurer, "historia")).content.decode()
    assert "Oferta wysłana – rozpatruje ubezpieczyciel (ada)" in history


def test_an_offer_with_gaps_is_not_sent_and_says_what_is_missing(client, office):
    provider, insurer, _ = office
    client.post(reverse("clinic:insurance"), {"action": "accept", "accept": "1", "data_confirmed": "1"})
    client.post(tab(insurer, "regulaminy"), {"action": "start", "terms_version": "2.0", "understood": "1"})
    response = client.post(tab(insurer, "informacje"), {"action": "offer"}, follow=True)
    assert Cooperation.objects.get(provider=provider).status == "terms_accepted"
    assert "Wpis do rejestru" in response.content.decode()


def test_ending_an_active_cooperation(client, office):
    provider, insurer, admin = office
    services.accept_service_terms(provider.pk, accepted=True, actor=admin)
    coop = services.start(services.cooperation(provider.pk, insurer), terms_version="2.0", understood=True, actor=admin)
    Cooperation.objects.filter(pk=coop.pk).update(status="active")
    client.post(tab(insurer, "informacje"), {"action": "end"})
    assert Cooperation.objects.get(pk=coop.pk).status == "active"
    client.post(tab(insurer, "informacje"), {"action": "end", "confirm": "1"})
    assert Cooperation.objects.get(pk=coop.pk).status == "ended"


def test_insurance_needs_its_permission_and_documents_stay_with_their_provider(client, office):
    provider, insurer, admin = office
    services.accept_service_terms(provider.pk, accepted=True, actor=admin)
    coop = services.start(services.cooperation(provider.pk, insurer), terms_version="2.0", understood=True, actor=admin)
    document = services.add_document(
        coop, title="Wpis do rejestru", upload=SimpleUploadedFile("wpis.pdf", PDF), actor=admin
    )
    url = reverse("clinic:insurer-document", args=[insurer.slug, document.pk])
    assert client.get(url).status_code == 200
    client.force_login(make_user("rachel", provider, "registrar"))
    assert client.get(reverse("clinic:insurance")).status_code == 403
    client.force_login(make_user("olga", make_provider(), "admin"))
    assert client.get(url).status_code == 404


def test_a_second_send_or_an_end_out_of_turn_is_a_message_not_an_error(client, office):
    provider, insurer, admin = office
    services.accept_service_terms(provider.pk, accepted=True, actor=admin)
    coop = services.start(services.cooperation(provider.pk, insurer), terms_version="2.0", understood=True, actor=admin)
    again = client.post(tab(insurer, "regulaminy"), {"action": "start", "terms_version": "2.0", "understood": "1"})
    end = client.post(tab(insurer, "informacje"), {"action": "end", "confirm": "1"})
    assert (again.status_code, end.status_code) == (200, 200)
    assert Cooperation.objects.get(pk=coop.pk).status == "terms_accepted"


def test_opening_an_insurer_writes_nothing(client, office):
    provider, insurer, _ = office
    client.get(reverse("clinic:insurer", args=[insurer.slug]))
    client.get(tab(insurer, "dokumenty"))
    assert Cooperation.objects.filter(provider=provider).exists() is False


def test_the_steps_are_in_the_audit_log(client, office):
    from terminarz.core.models import AuditEntry

    provider, insurer, _ = office
    client.post(reverse("clinic:insurance"), {"action": "accept", "accept": "1", "data_confirmed": "1"})
    client.post(tab(insurer, "regulaminy"), {"action": "start", "terms_version": "2.0", "understood": "1"})
    client.post(
        tab(insurer, "parametry"),
        {
            "action": "parameters",
            "start_date": "2026-12-01",
            "iban": "PL61-1090-1014-0000-0712-1981-2874",
            "contact_name": "A",
            "contact_email": "a@example.com",
        },
    )
    client.post(
        tab(insurer, "dokumenty"),
        {"action": "document", "title": "Wpis do rejestru", "file": SimpleUploadedFile("w.pdf", PDF)},
    )
    actions = list(AuditEntry.objects.filter(provider_id=provider.pk).order_by("pk").values_list("action", flat=True))
    assert actions == [
        "insurance.terms_accepted",
        "cooperation.none",
        "cooperation.terms_accepted",
        "insurance.parameters",
        "insurance.document_added",
    ]
    assert Cooperation.objects.get(provider=provider).iban == "PL61109010140000071219812874"
