"""Staff second sign-in factor in a real browser: the provider requires it, a registrar sets up
the authenticator app from the QR page, then signs in again with password + code."""

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from playwright.sync_api import expect

from terminarz.factors.models import TOTPDevice
from terminarz.providers.models import Membership
from tests.factories import make_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    otp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    otp.time += offset_steps * device.step
    return f"{otp.token():06d}"


def sign_in(page, url: str) -> None:
    page.goto(url + "/gabinet/")
    page.get_by_label("Nazwa użytkownika").fill("rejestracja")
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()


def test_required_factor_is_set_up_and_then_asked_at_sign_in(page, live_server, ticking):
    # The clock starts at a 30-second step boundary (FROZEN_NOW), so the whole journey stays
    # inside one TOTP step and the codes below are the ones the server expects.
    provider = make_provider()
    provider.require_staff_2fa = True
    provider.save()
    user = get_user_model().objects.create_user("rejestracja", password="haslo-testowe-123")
    Membership.objects.create(user=user, provider=provider, role="registrar")

    sign_in(page, live_server.url)
    expect(page.get_by_text("wymaga logowania dwuskładnikowego")).to_be_visible()
    page.get_by_role("button", name="Aplikacja uwierzytelniająca (zalecane)").click()
    expect(page.locator(".qr svg")).to_be_visible()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Kod").fill(code_for(device))
    page.get_by_role("button", name="Włącz").click()
    expect(page.get_by_text("Logowanie dwuskładnikowe jest włączone")).to_be_visible()

    page.get_by_role("button", name="Wyloguj").click()
    sign_in(page, live_server.url)
    device.refresh_from_db()
    expect(page.get_by_role("heading", name="Potwierdź logowanie")).to_be_visible()
    page.get_by_label("Kod").fill(code_for(device, offset_steps=1))  # the next step's code, within drift
    page.get_by_role("button", name="Potwierdź").click()
    expect(page.locator("summary", has_text="Kalendarz")).to_be_visible()  # the back-office menu
