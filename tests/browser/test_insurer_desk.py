"""The insurer's desk in a real browser: an insurer's administrator signs in with password and
an authenticator code, accepts a provider's offer, reads the provider's signed price list and
the terms; every desk page fits 1366×900 and 390×844 and passes axe-core."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from terminarz.catalog import pricelists as catalog_pricelists
from terminarz.factors.models import TOTPDevice
from terminarz.insurers import pricelists
from terminarz.insurers.models import InsurerMembership
from tests.browser.test_accessibility import violations
from tests.browser.test_staff_two_factor import code_for
from tests.factories import make_provider
from tests.insurers.helpers import PASSWORD, cooperate, make_insurer, p12_upload, payer_of, price_list_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_and_passes_axe(page) -> list[str]:
    problems = violations(page)
    if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        problems.append(f"wider than the screen: {page.evaluate('document.documentElement.scrollWidth')}px")
    return problems


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_insurer_accepts_an_offer_and_reads_a_signed_price_list(page, live_server, ticking, viewport):
    provider = make_provider()
    clinic_admin = get_user_model().objects.create_user("kasia", password="x")
    tu = make_insurer()
    # a provider whose list is already sent, and Przychodnia's offer waiting
    other = make_provider()
    cooperate(other, tu, clinic_admin)
    payer = payer_of(other, tu)
    svc = price_list_services(other)
    catalog_pricelists.override(payer, svc["EKG"], actor=clinic_admin)
    pricelists.upload_certificate(other.pk, upload=p12_upload(), password=PASSWORD, actor=clinic_admin)
    publication = pricelists.publish(payer, password=PASSWORD, actor=clinic_admin)
    offer = cooperate(provider, tu, clinic_admin, until="offer_sent")
    user = get_user_model().objects.create_user("agata", password="haslo-testowe-123")
    InsurerMembership.objects.create(user=user, insurer=tu, role="admin")
    device = TOTPDevice.objects.create(user=user, name="aplikacja", confirmed=True)

    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(live_server.url + "/ubezpieczyciel/")
    found = {"login": fits_and_passes_axe(page)}
    page.get_by_label("Nazwa użytkownika").fill("agata")
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.get_by_label("Kod").fill(code_for(device))
    page.get_by_role("button", name="Potwierdź").click()
    expect(page.get_by_role("heading", name="Oferty współpracy placówek")).to_be_visible()
    found["offers"] = fits_and_passes_axe(page)
    page.get_by_role("link", name=f"Rozpatrz – {provider.name}").click()
    found["offer"] = fits_and_passes_axe(page)
    page.get_by_label("Akceptuj").check()
    page.get_by_role("button", name="Zapisz decyzję").click()
    expect(page.get_by_text(f"Oferta zaakceptowana – współpraca z {provider.name} jest aktywna.")).to_be_visible()
    offer.refresh_from_db()
    assert offer.status == "active"
    page.get_by_role("link", name="Cenniki placówek").click()
    found["price lists"] = fits_and_passes_axe(page)
    page.get_by_role("link", name=f"Otwórz – {other.name}").click()
    expect(page.get_by_text("Podpis prawidłowy")).to_be_visible()
    expect(page.get_by_text("60,00 zł")).to_be_visible()
    found["price list"] = fits_and_passes_axe(page)
    page.get_by_role("link", name="Regulaminy").click()
    found["terms"] = fits_and_passes_axe(page)
    for label, path in (
        ("claims", "/ubezpieczyciel/wnioski/"),
        ("settlements", "/ubezpieczyciel/rozliczenia/"),
        ("slots", "/ubezpieczyciel/terminy/?city=Krak%C3%B3w"),
        ("visits", "/ubezpieczyciel/wizyty/"),
    ):
        page.goto(live_server.url + path)
        found[label] = fits_and_passes_axe(page)
    assert {label: problems for label, problems in found.items() if problems} == {}
    assert publication.services_count == 1
