"""A3 as the provider sees it: "Regulaminy" with the versions in force, "Pobierz regulamin",
"Akceptuję regulamin" → "Akceptuj" (who, when, which version); a new version, once in force,
blocks the configuration pages until the admin accepts it while the calendar keeps working; a
version announced ahead can be accepted ahead; a new insurance-service version stops the
insurance service until accepted again. The operator publishes versions and sees acceptance
counts."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from pypdf import PdfReader

from terminarz.core import clock
from terminarz.factors.models import EmailDevice
from terminarz.insurers import services as insurance
from terminarz.legal import services as legal
from terminarz.legal.models import TermsAcceptance, TermsDocument
from tests.clinic.test_access import make_user
from tests.clinic.test_two_factor import mark_verified
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider

pytestmark = pytest.mark.django_db
TERMS = reverse("clinic:terms")
SETTINGS = reverse("clinic:registration-settings")
CALENDAR = reverse("clinic:calendar")


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def new_version(kind="provider", version="2.0", days=0) -> TermsDocument:
    return legal.publish(
        kind=kind,
        version=version,
        title="Regulamin Świadczeniodawcy" if kind == "provider" else "Regulamin usługi Ubezpieczenia",
        body="§ 1. Nowe zasady.",
        effective_from=FROZEN_NOW + dt.timedelta(days=days),
        actor=None,
        now=FROZEN_NOW,
    )


@pytest.fixture
def office(client, frozen):
    provider = make_provider()
    admin = make_user("kierownik", provider, "admin")
    client.force_login(admin)
    return {"provider": provider, "admin": admin}


def test_a_new_version_in_force_blocks_configuration_until_the_admin_accepts(client, office, frozen):
    assert client.get(SETTINGS).status_code == 200
    new_version()
    blocked = client.get(SETTINGS, follow=True)
    assert blocked.redirect_chain == [(TERMS, 302)]
    assert messages_of(blocked) == [
        "Obowiązuje nowa wersja Regulaminu Świadczeniodawcy. Do czasu jej akceptacji przez administratora "
        "placówki zmiany ustawień są zablokowane; terminarz i wizyty działają."
    ]
    assert client.get(CALENDAR).status_code == 200  # the daily work goes on
    unticked = client.post(TERMS, {"version": "2.0"}, follow=True)
    assert messages_of(unticked) == ["Zaznacz „Akceptuję regulamin”, aby go zaakceptować."]
    accepted = client.post(TERMS, {"version": "2.0", "accept": "on"}, follow=True)
    assert messages_of(accepted) == ["Regulamin zaakceptowany."]
    acceptance = TermsAcceptance.objects.get(provider_ref=office["provider"].pk, document__version="2.0")
    assert (acceptance.user_id, acceptance.accepted_at, acceptance.channel) == (
        office["admin"].pk,
        FROZEN_NOW,
        "back-office",
    )
    assert client.get(SETTINGS).status_code == 200


def test_an_announced_version_can_be_accepted_ahead_and_then_blocks_nothing(client, office, frozen):
    new_version(days=14)
    page = client.get(TERMS).content.decode()
    assert "Nowa wersja 2.0 będzie obowiązywać od 04.12.2026." in page
    client.post(TERMS, {"version": "2.0", "accept": "on"})
    other = make_provider()  # accepts only 1.0, the version in force today
    frozen.move_to(FROZEN_NOW + dt.timedelta(days=15))
    client.force_login(office["admin"])  # a new day, a new sign-in
    assert client.get(SETTINGS).status_code == 200
    client.force_login(make_user("inny", other, "admin"))
    assert client.get(SETTINGS)["Location"] == TERMS


def test_only_the_admin_accepts_and_the_pdf_downloads(client, office, frozen):
    new_version()
    registrar = make_user("rej", office["provider"], "registrar", granted=["provider.change"])
    client.force_login(registrar)  # even with the single grant, binding terms are the admin's
    page = client.get(TERMS).content.decode()
    assert "Regulamin akceptuje administrator placówki." in page
    assert client.post(TERMS, {"version": "2.0", "accept": "on"}).status_code == 404
    assert TermsAcceptance.objects.filter(document__version="2.0").count() == 0
    version = TermsDocument.objects.get(kind="provider", version="2.0")
    pdf = client.get(reverse("clinic:terms-pdf", args=[version.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert "§ 1. Nowe zasady." in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    platform = legal.in_force("platform", FROZEN_NOW)  # the patients' terms are not the provider's
    assert client.get(reverse("clinic:terms-pdf", args=[platform.pk])).status_code == 404


def test_a_new_insurance_version_stops_the_service_until_accepted_again(office, frozen):
    provider, admin = office["provider"], office["admin"]
    service = insurance.accept_service_terms(provider.pk, accepted=True, actor=admin)
    assert (service.active, service.needs_new_acceptance) == (True, False)
    new_version(kind="insurance")
    service.refresh_from_db()
    assert (service.active, service.needs_new_acceptance) == (False, True)
    service = insurance.accept_service_terms(provider.pk, accepted=True, actor=admin)
    assert (service.active, service.terms.version) == (True, "2.0")
    assert TermsAcceptance.objects.filter(provider_ref=provider.pk, document__kind="insurance").count() == 2


def test_the_operator_publishes_versions_and_sees_acceptance_counts(client, office, frozen):
    operator = operator_client(client)
    url = reverse("operatordesk:terms")
    past = client.post(
        url, {"kind": "provider", "version": "2.0", "title": "R", "effective_from": "2026-11-19", "body": "x"}
    )
    assert past.context["form"].errors == {"effective_from": ["Nowa wersja może obowiązywać od dziś lub później."]}
    duplicate = client.post(
        url, {"kind": "provider", "version": "1.0", "title": "R", "effective_from": "2026-12-01", "body": "x"}
    )
    assert duplicate.context["form"].errors == {"version": ["Ta wersja tego regulaminu już istnieje."]}
    done = client.post(
        url,
        {
            "kind": "provider",
            "version": "2.0",
            "title": "Regulamin Świadczeniodawcy",
            "effective_from": "2026-12-01",
            "body": "§ 1.",
        },
        follow=True,
    )
    assert messages_of(done) == ["Opublikowano Regulamin Świadczeniodawcy, wersja 2.0."]
    published = TermsDocument.objects.get(kind="provider", version="2.0")
    assert (published.effective_from, published.published_by_id) == (
        dt.datetime(2026, 12, 1, tzinfo=clock.WARSAW),
        operator.pk,
    )
    provider_rows = next(k for k in done.context["kinds"] if k["kind"] == "provider")["versions"]
    assert [(v["document"].version, v["accepted"], v["current"]) for v in provider_rows] == [
        ("2.0", 0, False),
        ("1.0", 1, True),
    ]
    assert done.context["providers"] == 1


def test_a_new_insurance_version_stops_the_insurers_bookings_too(office, frozen):
    from terminarz.insurers.payer_booking import bookable_payer_ids
    from tests.insurers.helpers import cooperate, make_insurer, online_for_insurers, payer_of

    tu = make_insurer()
    cooperate(office["provider"], tu, office["admin"])
    online_for_insurers(office["provider"], tu)
    payer = payer_of(office["provider"], tu)
    assert bookable_payer_ids(tu.pk) == [payer.pk]
    new_version(kind="insurance")
    assert bookable_payer_ids(tu.pk) == []
    insurance.accept_service_terms(office["provider"].pk, accepted=True, actor=office["admin"])
    assert bookable_payer_ids(tu.pk) == [payer.pk]


def test_the_gate_covers_configuration_posts_inside_wider_pages_but_not_staff_security(client, office, frozen):
    new_version()
    room = client.post(reverse("clinic:rooms"), {"gabinet-location": "1", "gabinet-name": "Gabinet 9"})
    assert room["Location"] == TERMS
    assert client.get(reverse("clinic:staff-accounts")).status_code == 200  # removing a departed person works
    assert client.get(reverse("clinic:schedules")).status_code == 200


def operator_client(client):
    """Signs the client in as the platform's operator past the second factor; the operator."""
    operator = make_user("operator")
    operator.is_staff = True
    operator.save()
    operator.user_permissions.add(Permission.objects.get(codename="operate_platform"))
    device = EmailDevice.objects.create(user=operator, name="e-mail", confirmed=True, email="op@terminarz.local")
    client.force_login(operator)
    mark_verified(client, device)
    return operator


def test_one_terms_model_keeps_the_insurers_terms_apart_from_the_operators(client, office, frozen):
    """An insurer's terms are rows of the same model, with its id: the operator's desk neither
    lists nor publishes nor serves them, and they are never "the version in force" of a platform
    kind, even with the same version number."""
    from terminarz.insurers.models import InsurerTerms
    from tests.insurers.helpers import make_insurer

    tu = make_insurer()
    general = InsurerTerms.objects.of(tu).get()
    assert (general.kind, general.insurer_ref, TermsDocument.objects.filter(pk=general.pk).exists()) == (
        "insurer_general",
        tu.pk,
        True,
    )
    operator_client(client)
    page = client.get(reverse("operatordesk:terms"))
    assert [k["kind"] for k in page.context["kinds"]] == [
        "platform",
        "insurance",
        "provider",
        "televisit",
        "branded_app",
    ]
    assert [value for value, _label in page.context["form"].fields["kind"].choices] == [
        "platform",
        "insurance",
        "provider",
        "televisit",
        "branded_app",
    ]
    refused = client.post(
        reverse("operatordesk:terms"),
        {"kind": "insurer_general", "version": "9.0", "title": "R", "effective_from": "2026-12-01", "body": "x"},
    )
    assert list(refused.context["form"].errors) == ["kind"]
    assert client.get(reverse("operatordesk:terms-pdf", args=[general.pk])).status_code == 404
    with pytest.raises(ValueError):
        legal.publish(
            kind="insurer_general",
            version="9.0",
            title="R",
            body="x",
            effective_from=FROZEN_NOW,
            actor=None,
            now=FROZEN_NOW,
        )
    assert legal.in_force("provider", FROZEN_NOW).kind == "provider"


def test_the_database_refuses_an_insurers_kind_without_an_insurer_and_a_platform_kind_with_one(office, frozen):
    from django.db import IntegrityError, transaction

    common = {"title": "R", "body": "x", "effective_from": FROZEN_NOW}
    with pytest.raises(IntegrityError), transaction.atomic():
        TermsDocument.objects.create(kind="insurer_general", version="1.0", **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        TermsDocument.objects.create(kind="provider", version="7.0", insurer_ref=1, **common)
    TermsDocument.objects.create(kind="insurer_general", version="1.0", insurer_ref=1, **common)
    TermsDocument.objects.create(kind="insurer_general", version="1.0", insurer_ref=2, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        TermsDocument.objects.create(kind="insurer_general", version="1.0", insurer_ref=1, **common)
