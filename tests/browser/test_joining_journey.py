"""A1 in a real browser: a clinic finds itself in the register, fills the application and
sends it; the platform operator signs in (password and an authenticator code), approves it;
the admin sets the password through the e-mailed link and signs in to the back-office. Every
page fits 1366×900 and 390×844 and passes axe-core."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from terminarz.factors.models import TOTPDevice
from terminarz.notifications.models import Message
from terminarz.notifications.services import render_message
from terminarz.onboarding.models import ProviderApplication
from tests.browser.test_insurer_desk import fits_and_passes_axe
from tests.browser.test_staff_two_factor import code_for
from tests.onboarding.helpers import facility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_a_clinic_joins_and_the_operator_approves(page, live_server, ticking, viewport):
    chosen = facility()
    operator = get_user_model().objects.create_user("opiekun", "op@terminarz.local", "haslo-testowe-123", is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="operate_platform"))
    device = TOTPDevice.objects.create(user=operator, name="aplikacja", confirmed=True)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})

    page.goto(live_server.url + "/gabinet/logowanie/")
    page.get_by_role("link", name="Uzyskaj dostęp").click()
    found = {"start": fits_and_passes_axe(page)}
    page.get_by_role("link", name="Uzyskaj dostęp").click()
    page.get_by_label("NIP").fill(chosen.nip)
    page.get_by_role("button", name="Szukaj").click()
    found["search"] = fits_and_passes_axe(page)
    page.get_by_role("link", name=f"Wybierz – {chosen.name}").click()
    page.get_by_role("button", name="Dalej").click()  # the contact data is missing
    expect(page.get_by_text("To pole jest wymagane.").first).to_be_visible()
    found["data with errors"] = fits_and_passes_axe(page)
    page.get_by_label("Telefon placówki").fill("12 345 67 89")
    page.get_by_label("Imię osoby zgłaszającej").fill("Olga")
    page.get_by_label("Nazwisko osoby zgłaszającej").fill("Słoneczna")
    page.get_by_label("E-mail osoby zgłaszającej").fill("olga@sloneczna.example")
    page.get_by_label("Wypis z RPWDL").set_input_files(
        files=[{"name": "wypis.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 wypis"}]
    )
    page.get_by_role("button", name="Dalej").click()
    found["terms"] = fits_and_passes_axe(page)
    page.get_by_role("checkbox", name=re.compile("Akceptuję regulamin")).check()
    page.get_by_role("button", name="Wyślij wniosek").click()
    expect(page.get_by_text(re.compile("Wniosek został prawidłowo złożony"))).to_be_visible()
    found["status"] = fits_and_passes_axe(page)
    application = ProviderApplication.objects.get(status="submitted")
    _subject, sent, _html = render_message(Message.objects.get(kind="onboarding_submitted"))
    page.goto(live_server.url + re.search(r"(/gabinet/uzyskaj-dostep/potwierdz/\d+/[^\s]+/)", sent).group(1))
    expect(page.get_by_text("Adres e-mail potwierdzony.")).to_be_visible()

    desk = page.context.browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    desk.goto(live_server.url + "/operator/")
    found["operator login"] = fits_and_passes_axe(desk)
    desk.get_by_label("Nazwa użytkownika").fill("opiekun")
    desk.get_by_label("Hasło").fill("haslo-testowe-123")
    desk.get_by_role("button", name="Zaloguj").click()
    desk.get_by_label("Kod").fill(code_for(device))
    desk.get_by_role("button", name="Potwierdź").click()
    expect(desk.get_by_role("heading", name="Do rozpatrzenia")).to_be_visible()
    found["queues"] = fits_and_passes_axe(desk)
    desk.get_by_role("link", name="Wnioski o przystąpienie").first.click()
    found["applications"] = fits_and_passes_axe(desk)
    desk.get_by_role("link", name=chosen.name).click()
    found["application"] = fits_and_passes_axe(desk)
    desk.get_by_role("button", name="Akceptuj wniosek").click()
    expect(desk.get_by_text(re.compile("^Wniosek zaakceptowano."))).to_be_visible()
    for label, path in (("register", "/operator/rejestr/"), ("providers", "/operator/placowki/")):
        desk.goto(live_server.url + path)
        found[label] = fits_and_passes_axe(desk)
    desk.close()

    _subject, body, _html = render_message(Message.objects.get(kind="onboarding_approved"))
    link = re.search(r"(/gabinet/haslo/\d+/[^\s]+/)", body).group(1)
    page.goto(live_server.url + link)
    found["password"] = fits_and_passes_axe(page)
    page.get_by_label("Nowe hasło", exact=True).fill("Mocne-haslo-2026!")
    page.get_by_label("Nowe hasło (powtórz)").fill("Mocne-haslo-2026!")
    page.get_by_role("button", name="Ustaw hasło").click()
    expect(
        page.get_by_text("Hasło ustawione. Zaloguj się – nazwa użytkownika: olga@sloneczna.example.")
    ).to_be_visible()
    page.get_by_label("Nazwa użytkownika").fill("olga@sloneczna.example")
    page.get_by_label("Hasło").fill("Mocne-haslo-2026!")
    page.get_by_role("button", name="Zaloguj").click()
    expect(page.get_by_text(chosen.name).first).to_be_visible()
    assert {label: problems for label, problems in found.items() if problems} == {}
    application.refresh_from_db()
    assert application.status == "approved"
