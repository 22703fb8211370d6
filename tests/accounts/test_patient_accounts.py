"""E1–E3: patient sign-up with e-mail activation, sign-in messages without account
enumeration, lockout, my data and consents with history, deleting the account; D4 booking
with an account."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from terminarz.accounts.models import Consent, PatientProfile, current_consents
from terminarz.booking.models import Appointment
from terminarz.core.crypto import lookup_hash
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot
from tests.accounts.human import solved_altcha
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, clinic

pytestmark = pytest.mark.django_db
# Ewa's data as the review step confirms it (portal booking, terms accepted).
EWA_BOOKING = {
    **PATIENT,
    "first_name": "Ewa",
    "last_name": "Pacjentka",
    "email": "ewa@example.com",
    "phone": "",
    "pesel": "",
}
PASSWORD = "Mocne-Haslo-Pacjenta-42"


def signup_data(**over):
    return {
        "action": "confirm",
        "accept_terms": "on",
        "terms_version": "1.0",
        "first_name": "Ewa",
        "last_name": "Pacjentka",
        "pesel": VALID_PESEL,
        "phone": "600 700 800",
        "email": "ewa@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "consent_rodo": "on",
        "consent_marketing_sms": "on",
        "altcha": solved_altcha(),  # the human check on every sign-up (E2)
        **over,
    }


def link_in_last_mail(pattern: str) -> str:
    match = re.search(pattern, mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


@pytest.fixture
def signed_up(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), signup_data())
    assert response.status_code == 302
    return get_user_model().objects.get(email="ewa@example.com")


def activate(client, django_capture_on_commit_callbacks):
    url = link_in_last_mail(r"/konto/confirm-email/[^\s]+/")
    page = client.get(url)
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url)


def test_sign_up_stores_profile_encrypted_and_consents_then_activation_email(client, signed_up):
    profile = PatientProfile.objects.get(user=signed_up)
    assert profile.pesel_hash == lookup_hash(VALID_PESEL) and str(profile.birth_date) == "1944-05-14"
    assert current_consents(signed_up) == {"rodo": True, "marketing_email": False, "marketing_sms": True}
    assert mail.outbox[-1].to == ["ewa@example.com"]
    assert "/konto/confirm-email/" in mail.outbox[-1].body
    # Not active before the link: sign-in leads to the "confirm your e-mail" page with a resend.
    client.logout()
    response = client.post(reverse("account_login"), {"login": "ewa@example.com", "password": PASSWORD})
    assert response.status_code == 302 and "confirm-email" in response.url


@pytest.mark.parametrize(
    "over, message",
    [
        ({"consent_rodo": ""}, "zaakceptuj zgodę na przetwarzanie danych osobowych"),
        ({"pesel": "44051401358"}, "Nieprawidłowy numer PESEL"),
        ({"action": "confirm", "accept_terms": "on", "terms_version": "1.0", "first_name": ""}, "Podaj imię."),
        ({"password2": "inne-haslo-123"}, "Musisz wpisać za każdym razem to samo hasło."),
    ],
)
def test_sign_up_errors_in_polish_and_nothing_created(client, over, message):
    response = client.post(reverse("account_signup"), signup_data(**over))
    assert response.status_code == 200 and message in response.content.decode()
    assert not get_user_model().objects.filter(email="ewa@example.com").exists()


def test_sign_up_with_a_taken_email_does_not_reveal_the_account(client, signed_up, django_capture_on_commit_callbacks):
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), signup_data(first_name="Obca"))
    # The same answer as a fresh sign-up; the owner gets an e-mail instead.
    assert response.status_code == 302 and "confirm-email" in response.url
    assert get_user_model().objects.filter(email="ewa@example.com").count() == 1


def test_activation_signs_in_and_opens_the_panel(client, signed_up, django_capture_on_commit_callbacks):
    response = activate(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    panel = client.get(reverse("account-panel"))
    assert panel.status_code == 200 and "Dzień dobry, Ewa" in panel.content.decode()


def test_wrong_password_and_unknown_user_get_the_same_message(client, signed_up, django_capture_on_commit_callbacks):
    activate(client, django_capture_on_commit_callbacks)
    client.logout()
    wrong = client.post(reverse("account_login"), {"login": "ewa@example.com", "password": "zle-haslo"})
    unknown = client.post(reverse("account_login"), {"login": "nikt@example.com", "password": "zle-haslo"})
    text = "Podany adres e-mail i/lub hasło są niepoprawne."
    assert text in wrong.content.decode() and text in unknown.content.decode()


def test_repeated_failures_lock_the_account_with_its_own_message(client, signed_up, settings):
    client.logout()
    # From the third failure on the human check is asked (solved here); the lockout still counts.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("account_login"), {"login": "ewa@example.com", "password": "zle-haslo", "altcha": solved_altcha()}
        )
    locked = client.post(
        reverse("account_login"), {"login": "ewa@example.com", "password": PASSWORD, "altcha": solved_altcha()}
    )
    assert locked.status_code == 429 and "Konto zostało zablokowane" in locked.content.decode()


def test_profile_and_consents_with_history(client, signed_up, django_capture_on_commit_callbacks):
    activate(client, django_capture_on_commit_callbacks)
    url = reverse("account-profile")
    bad = client.post(url, {"action": "profile", "first_name": "Ewa", "last_name": "", "pesel": "", "phone": ""})
    assert bad.status_code == 422 and "Podaj nazwisko." in bad.content.decode()
    client.post(url, {"action": "profile", "first_name": "Ewa", "last_name": "Nowa", "pesel": "", "phone": ""})
    signed_up.refresh_from_db()
    assert signed_up.last_name == "Nowa" and PatientProfile.objects.get(user=signed_up).pesel == ""
    client.post(url, {"action": "consents", "consent_rodo": "on", "consent_marketing_email": "on"})
    assert current_consents(signed_up) == {"rodo": True, "marketing_email": True, "marketing_sms": False}
    assert Consent.objects.filter(user=signed_up).count() == 4  # 2 at sign-up + 2 changes
    page = client.get(url).content.decode()
    assert "wycofana" in page and "udzielona" in page


def test_booking_with_an_account_prefills_and_links_the_visit(
    client, signed_up, today, django_capture_on_commit_callbacks
):
    activate(client, django_capture_on_commit_callbacks)
    provider, _, _, schedule = clinic(today=today, days=3)
    settings_for(provider.pk)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    form = client.get(reverse("portal:book", args=[slot.pk])).content.decode()
    assert 'value="Ewa"' in form and 'value="ewa@example.com"' in form and VALID_PESEL in form
    data = {
        "action": "confirm",
        "accept_terms": "on",
        "terms_version": "1.0",
        "first_name": "Ewa",
        "last_name": "Pacjentka",
        "email": "ewa@example.com",
        "phone": "",
        "pesel": VALID_PESEL,
    }
    client.post(reverse("portal:book", args=[slot.pk]), data)
    visit = Appointment.objects.get()
    assert visit.account == signed_up
    assert visit.reference in client.get(reverse("account-panel")).content.decode()


def test_provider_requiring_an_account(client, signed_up, today, django_capture_on_commit_callbacks):
    provider, _, _, schedule = clinic(today=today, days=3)
    rules = settings_for(provider.pk)
    rules.without_account = False
    rules.save()
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    client.logout()
    anonymous = client.get(reverse("portal:book", args=[slot.pk]))
    assert anonymous.status_code == 403 and "Zaloguj się" in anonymous.content.decode()
    activate(client, django_capture_on_commit_callbacks)
    client.post(reverse("account_login"), {"login": "ewa@example.com", "password": PASSWORD})
    assert client.get(reverse("portal:book", args=[slot.pk])).status_code == 200


def test_delete_account_keeps_visits_with_the_provider(client, signed_up, today, django_capture_on_commit_callbacks):
    activate(client, django_capture_on_commit_callbacks)
    provider, _, _, schedule = clinic(today=today, days=3)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    data = EWA_BOOKING
    client.post(reverse("portal:book", args=[slot.pk]), data)
    url = reverse("account-delete")
    wrong = client.post(url, {"password": "zle", "confirm": "on"})
    assert wrong.status_code == 422 and "Nieprawidłowe hasło." in wrong.content.decode()
    assert client.post(url, {"password": PASSWORD, "confirm": "on"}).status_code == 302
    signed_up.refresh_from_db()
    assert (
        not signed_up.is_active and signed_up.email == "" and not PatientProfile.objects.filter(user=signed_up).exists()
    )
    visit = Appointment.objects.get()
    assert visit.account is None and visit.status == "confirmed"
    assert client.get(reverse("account-panel")).status_code == 302


@pytest.fixture
def booked(client, signed_up, today, django_capture_on_commit_callbacks):
    activate(client, django_capture_on_commit_callbacks)
    provider, _, _, schedule = clinic(today=today, days=4)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    data = EWA_BOOKING
    client.post(reverse("portal:book", args=[slots[0].pk]), data)
    return {"provider": provider, "slots": slots, "visit": Appointment.objects.get()}


def test_patient_reschedules_to_another_slot_of_the_same_practitioner(
    client, booked, django_capture_on_commit_callbacks
):
    visit, slots = booked["visit"], booked["slots"]
    url = reverse("account-reschedule", args=[visit.pk])
    page = client.get(url).content.decode()
    assert f'value="{slots[5].pk}"' in page and f'value="{slots[0].pk}"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"slot": slots[5].pk}).status_code == 302
    visit.refresh_from_db()
    assert visit.slot_id == slots[5].pk and visit.status == "confirmed"
    assert Slot.objects.get(pk=slots[0].pk).state == "free"
    moved = mail.outbox[-1]
    assert moved.to == ["ewa@example.com"]
    assert moved.subject == f"Zmiana terminu wizyty {visit.reference} – pt, 20 listopada 2026, 11:30"


def test_reschedule_refuses_other_practitioners_slots_and_strangers(client, booked, today):
    visit = booked["visit"]
    _, _, _, other_schedule = clinic(today=today, days=2)
    foreign = Slot.objects.filter(schedule=other_schedule, start__gt=FROZEN_NOW).first()
    response = client.post(reverse("account-reschedule", args=[visit.pk]), {"slot": foreign.pk})
    assert response.status_code == 422 and "Wybierz jeden z wolnych terminów" in response.content.decode()
    client.logout()
    stranger = get_user_model().objects.create_user("obcy", "obcy@example.com", PASSWORD)
    client.force_login(stranger, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("account-reschedule", args=[visit.pk])).status_code == 404


def test_reschedule_respects_the_cutoff(client, booked, frozen):
    rules = settings_for(booked["provider"].pk)
    rules.cancel_cutoff_hours = 48
    rules.save()
    response = client.post(reverse("account-reschedule", args=[booked["visit"].pk]), {"slot": booked["slots"][5].pk})
    assert response.status_code == 422 and "najpóźniej 48 godz." in response.content.decode()


def test_without_required_personal_data_the_account_data_is_used(
    client, signed_up, today, django_capture_on_commit_callbacks
):
    activate(client, django_capture_on_commit_callbacks)
    provider, _, _, schedule = clinic(today=today, days=3)
    rules = settings_for(provider.pk)
    rules.account_data_required = False
    rules.save()
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    page = client.get(reverse("portal:book", args=[slot.pk])).content.decode()
    assert "Dane z Twojego konta" in page and 'name="first_name"' not in page
    # Whatever is posted, the account's data goes into the booking.
    client.post(
        reverse("portal:book", args=[slot.pk]),
        {
            "action": "confirm",
            "accept_terms": "on",
            "terms_version": "1.0",
            "first_name": "Inna",
            "note": "Proszę o L4",
        },
    )
    visit = Appointment.objects.get()
    assert (visit.first_name, visit.email, visit.pesel, visit.note) == (
        "Ewa",
        "ewa@example.com",
        VALID_PESEL,
        "Proszę o L4",
    )


def test_optional_email_code_at_sign_in(client, signed_up, frozen, django_capture_on_commit_callbacks):
    activate(client, django_capture_on_commit_callbacks)
    url = reverse("account-email-code")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "start"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert "konta pacjenta" in mail.outbox[-1].subject
    client.post(url, {"action": "confirm", "code": code})
    assert "Włączony." in client.get(url).content.decode()
    client.logout()

    frozen.shift(60)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_login"), {"login": "ewa@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("account-login-code")
    assert client.get(reverse("account-panel")).status_code == 302  # not signed in yet
    wrong = client.post(reverse("account-login-code"), {"action": "verify", "code": "000000"})
    assert wrong.status_code == 422
    frozen.shift(5)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    done = client.post(reverse("account-login-code"), {"action": "verify", "code": code})
    assert done.status_code == 302
    assert client.get(reverse("account-panel")).status_code == 200


def test_one_visit_per_specialization_by_account_without_pesel(
    client, signed_up, today, django_capture_on_commit_callbacks
):
    activate(client, django_capture_on_commit_callbacks)
    provider, _, _, schedule = clinic(today=today, days=3)
    rules = settings_for(provider.pk)
    rules.one_visit_per_specialization = True
    rules.save()
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    data = EWA_BOOKING
    client.post(reverse("portal:book", args=[slots[0].pk]), data)
    second = client.post(reverse("portal:book", args=[slots[3].pk]), {**data, "email": "inny@example.com"})
    assert second.status_code == 422 and "Masz już umówioną wizytę w tej specjalizacji" in second.content.decode()
    assert Appointment.objects.count() == 1
