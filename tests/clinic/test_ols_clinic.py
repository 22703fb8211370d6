"""G9 in the back-office and at the insurer's desk: thematic terms accepted and priced (prices
with more than 2 decimals refused, nothing half-saved), claims filed and decided, a settlement
generated, exported for accounting and paid; another provider's or insurer's ids are 404."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from terminarz.factors.models import EmailDevice
from terminarz.insurers import ols
from terminarz.insurers.models import Claim, InsurerTerms, OfferedPrice, Settlement, ThematicService
from tests.clinic.test_access import make_user
from tests.clinic.test_two_factor import mark_verified
from tests.factories import VALID_PESEL, make_provider
from tests.insurers.helpers import cooperate, make_insurer
from tests.insurers.test_ols import thematic
from tests.payerdesk.test_desk import desk_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, frozen):
    provider = make_provider()
    admin = make_user("ada", provider, "admin")
    tu = make_insurer()
    cooperate(provider, tu, admin)
    terms, kard, derm = thematic(tu)
    client.force_login(admin)
    return {"provider": provider, "admin": admin, "tu": tu, "terms": terms, "kard": kard, "derm": derm}


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def tab(office):
    return reverse("clinic:insurer-tab", args=[office["tu"].slug, "tematyczne"])


def test_accept_thematic_terms_and_price_the_services(client, office):
    page = client.get(tab(office))
    assert [item["accepted"] for item in page.context["thematic"]] == [False]
    accepted = client.post(tab(office), {"action": "thematic", "terms": office["terms"].pk, "accept": "1"}, follow=True)
    assert messages_of(accepted) == ["Zaakceptowano regulamin tematyczny – podaj ceny usług."]
    data = {"action": "prices", "terms": office["terms"].pk}
    bad = client.post(
        tab(office), {**data, f"price_{office['kard'].pk}": "140.555", f"price_{office['derm'].pk}": "150"}
    )
    assert bad.status_code == 422
    rows = {r["service"].code: r["error"] for r in bad.context["thematic"][0]["rows"]}
    assert rows == {"D01": "", "K01": "Upewnij się, że liczba ma nie więcej niż 2 cyfry po przecinku."}
    assert OfferedPrice.objects.count() == 0  # nothing half-saved
    saved = client.post(
        tab(office), {**data, f"price_{office['kard'].pk}": "140,00", f"price_{office['derm'].pk}": "150"}, follow=True
    )
    assert messages_of(saved) == ["Zapisano cennik usług."]
    html = saved.content.decode()
    assert "preferowana" in html and "powyżej limitu" in html


def test_a_claim_is_filed_decided_settled_and_exported(client, office):
    ols.accept_thematic(office["provider"].pk, office["terms"], accepted=True, actor=None)
    ols.set_prices(office["provider"].pk, office["terms"], {office["kard"].pk: Decimal("140.00")}, actor=None)
    form = {"service": office["kard"].pk, "patient_name": "Jan Ubezpieczony", "service_date": "2026-11-18"}
    bad = client.post(reverse("clinic:ols-claims"), {**form, "patient_pesel": "12345678901"})
    assert bad.context["form"].errors == {"patient_pesel": ["Nieprawidłowy numer PESEL – sprawdź cyfry."]}
    filed = client.post(reverse("clinic:ols-claims"), {**form, "patient_pesel": VALID_PESEL}, follow=True)
    claim = Claim.objects.get()
    assert messages_of(filed) == [f"Złożono wniosek {claim.number}."]
    # the insurer decides at its desk
    client.logout()
    desk_user(office["tu"], verified_client=client)
    no_reason = client.post(
        reverse("payerdesk:claims"), {"claim": claim.pk, "decision": "reject", "reason": ""}, follow=True
    )
    assert messages_of(no_reason) == ["Podaj powód odrzucenia wniosku."]
    claim.refresh_from_db()
    assert claim.status == "submitted"
    decided = client.post(reverse("payerdesk:claims"), {"claim": claim.pk, "decision": "accept"}, follow=True)
    assert messages_of(decided) == [f"Zapisano decyzję o wniosku {claim.number}."]
    claim.refresh_from_db()
    assert claim.status == "accepted"
    # the provider makes the settlement report
    client.force_login(office["admin"])
    made = client.post(
        reverse("clinic:ols-settlements"),
        {"insurer": office["tu"].pk, "period_start": "2026-11-01", "period_end": "2026-11-30"},
        follow=True,
    )
    settlement = Settlement.objects.get()
    assert messages_of(made) == [
        f"Wygenerowano rozliczenie {settlement.number}: 140.00 zł, termin płatności 25.11.2026."
    ]
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("clinic:ols-settlement-export", args=[settlement.pk])).content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2] == ("Kwota należna (zł)", 140, "Termin płatności", dt.datetime(2026, 11, 25))
    assert rows[5] == (claim.number, dt.datetime(2026, 11, 18), "Konsultacja kardiologa", 140)
    # the insurer pays
    client.logout()
    client.force_login(get_user_model().objects.get(username="agata"))

    mark_verified(client, EmailDevice.objects.get(user__username="agata"))
    paid = client.post(reverse("payerdesk:settlements"), {"settlement": settlement.pk}, follow=True)
    assert messages_of(paid) == [f"Rozliczenie {settlement.number} oznaczono jako zapłacone."]
    settlement.refresh_from_db()
    assert settlement.status == "paid"


def test_another_providers_or_insurers_claims_and_settlements_are_404(client, office):
    other = make_provider()
    ump = make_insurer("ump", "UMP", nip="")
    cooperate(other, ump, None)
    terms, kard, _derm = thematic(ump)
    ols.accept_thematic(other.pk, terms, accepted=True, actor=None)
    ols.set_prices(other.pk, terms, {kard.pk: Decimal("100")}, actor=None)
    claim = ols.file_claim(
        other.pk,
        ump,
        service_id=kard.pk,
        patient_name="X",
        patient_pesel=VALID_PESEL,
        service_date=dt.date(2026, 11, 18),
        actor=None,
    )
    ols.decide_claim(claim, accept=True, reason="", actor=None)
    settlement = ols.make_settlement(
        other.pk, ump, period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 11, 30), actor=None
    )
    assert client.get(reverse("clinic:ols-settlement-export", args=[settlement.pk])).status_code == 404
    assert list(client.get(reverse("clinic:ols-claims")).context["rows"]) == []
    # an insurer-scoped look from TU at UMP's claim and settlement
    client.logout()
    desk_user(office["tu"], verified_client=client)
    assert client.post(reverse("payerdesk:claims"), {"claim": claim.pk, "decision": "accept"}).status_code == 404
    assert client.post(reverse("payerdesk:settlements"), {"settlement": settlement.pk}).status_code == 404
    assert list(client.get(reverse("payerdesk:claims")).context["rows"]) == []
    settlement.refresh_from_db()
    assert settlement.status == "due"


def test_the_insurer_adds_services_with_limits_to_a_thematic_terms_document(client, office):
    client.logout()
    desk_user(office["tu"], verified_client=client)
    url = reverse("payerdesk:terms-limits", args=[office["terms"].pk])
    duplicate = client.post(url, {"code": "k01", "name": "Inna", "limit": "10"})
    assert duplicate.context["form"].errors == {"code": ["Usługa o tym kodzie już jest w tym regulaminie."]}
    precise = client.post(url, {"code": "R01", "name": "Rehabilitacja", "limit": "10.999"})
    assert precise.context["form"].errors == {
        "limit": ["Upewnij się, że liczba ma nie więcej niż 2 cyfry po przecinku."]
    }
    client.post(url, {"code": "R01", "name": "Rehabilitacja", "limit": "99.50"})
    assert ThematicService.objects.get(code="R01").limit == Decimal("99.50")
    general = InsurerTerms.objects.of(office["tu"]).get(kind="insurer_general")
    assert client.get(reverse("payerdesk:terms-limits", args=[general.pk])).status_code == 404
    thematic_form = client.post(
        reverse("payerdesk:terms"),
        {
            "kind": "insurer_thematic",
            "title": "Laboratorium",
            "version": "1.0",
            "effective_from": "2026-12-01T08:00",
            "body": "§",
        },
    )
    assert thematic_form.context["form"].errors == {"area": ["Wybierz obszar usług regulaminu tematycznego."]}
