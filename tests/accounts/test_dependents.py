"""E4: dependents – new sub-account (with or without own PESEL), attaching an existing account
by its credentials, switching, booking for a dependent, handing the account over at 16."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from terminarz.accounts.models import PatientProfile
from terminarz.booking.models import Appointment
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW
from tests.factories import clinic

pytestmark = pytest.mark.django_db
PASSWORD = "Mocne-Haslo-Pacjenta-42"
CHILD_PESEL = "21271512342"  # born 15.07.2021
TEEN_PESEL = "08260512343"  # born 05.06.2008 – 18 on the frozen date


def make_patient(email: str, first_name: str = "Ewa"):
    user = get_user_model().objects.create_user(
        email.split("@")[0], email, PASSWORD, first_name=first_name, last_name="Kowal"
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    PatientProfile.objects.create(user=user, phone="600 700 800")
    return user


@pytest.fixture
def guardian(client, frozen):
    user = make_patient("mama@example.com")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return user


def add_child(client, **over):
    data = {
        "action": "new",
        "first_name": "Zosia",
        "last_name": "Kowal",
        "pesel": CHILD_PESEL,
        "reason": "under_16",
        **over,
    }
    return client.post(reverse("account-dependents"), data)


def test_add_a_child_and_book_for_her_after_switching(client, guardian, today, django_capture_on_commit_callbacks):
    assert add_child(client).status_code == 302
    child = get_user_model().objects.get(first_name="Zosia")
    assert child.patient_profile.guardian == guardian and not child.has_usable_password()
    # One click switches; the booking form is prefilled with the child's data and the guardian's e-mail.
    client.post(reverse("account-switch"), {"account": child.pk})
    provider, _, _, schedule = clinic(today=today, days=3)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    form = client.get(reverse("portal:book", args=[slot.pk])).content.decode()
    assert 'value="Zosia"' in form and 'value="mama@example.com"' in form and CHILD_PESEL in form
    assert "Rezerwujesz dla: Zosia" in form
    data = {
        "action": "confirm",
        "accept_terms": "on",
        "terms_version": "1.0",
        "first_name": "Zosia",
        "last_name": "Kowal",
        "email": "mama@example.com",
        "phone": "",
        "pesel": CHILD_PESEL,
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:book", args=[slot.pk]), data)
    visit = Appointment.objects.get()
    assert visit.account == child
    # The guardian is written to about the child's visit, not greeted as the child.
    confirmation = next(m for m in mail.outbox if visit.reference in m.subject)
    assert confirmation.to == ["mama@example.com"]
    assert confirmation.body.startswith(
        "Dzień dobry,\n\npiszemy w sprawie wizyty osoby, którą się opiekujesz: Zosia Kowal.\n\n"
        "Wizyta została zarezerwowana."
    )
    panel = client.get(reverse("account-panel")).content.decode()
    assert visit.reference in panel and "Wizyty podopiecznego" in panel
    # Switching back shows the guardian's own (empty) list.
    client.post(reverse("account-switch"), {"account": guardian.pk})
    assert visit.reference not in client.get(reverse("account-panel")).content.decode()


def test_child_without_pesel_uses_guardian_pesel_and_needs_a_birth_date(client, guardian):
    missing = add_child(client, pesel="", uses_guardian_pesel="on")
    assert missing.status_code == 422 and "Podaj datę urodzenia podopiecznego." in missing.content.decode()
    neither = add_child(client, pesel="")
    assert neither.status_code == 422 and "albo zaznacz „PESEL opiekuna”" in neither.content.decode()
    assert (
        add_child(client, pesel="", uses_guardian_pesel="on", birth_date="2026-06-01", reason="no_pesel").status_code
        == 302
    )
    profile = PatientProfile.objects.get(user__first_name="Zosia")
    assert profile.uses_guardian_pesel and str(profile.birth_date) == "2026-06-01"


def test_switching_to_someone_else_is_ignored(client, guardian):
    stranger = make_patient("obcy@example.com", first_name="Obcy")
    client.post(reverse("account-switch"), {"account": stranger.pk})
    assert "Obcy" not in client.get(reverse("account-panel")).content.decode()


def test_attach_an_existing_account_needs_its_password(client, guardian):
    grandpa = make_patient("dziadek@example.com", first_name="Jan")
    url = reverse("account-dependents")
    wrong = client.post(url, {"action": "attach", "email": "dziadek@example.com", "password": "zle"})
    unknown = client.post(url, {"action": "attach", "email": "nikt@example.com", "password": "zle"})
    message = "Nieprawidłowy adres e-mail lub hasło konta podopiecznego."
    assert wrong.status_code == 422 and message in wrong.content.decode() and message in unknown.content.decode()
    assert (
        client.post(url, {"action": "attach", "email": "dziadek@example.com", "password": PASSWORD}).status_code == 302
    )
    assert PatientProfile.objects.get(user=grandpa).guardian == guardian


def test_guardian_cannot_attach_themselves(client, guardian):
    response = client.post(
        reverse("account-dependents"), {"action": "attach", "email": "mama@example.com", "password": PASSWORD}
    )
    assert response.status_code == 422


def test_hand_over_at_sixteen(client, guardian, django_capture_on_commit_callbacks):
    add_child(client, first_name="Kasia", pesel=CHILD_PESEL)
    child = get_user_model().objects.get(first_name="Kasia")
    too_young = client.post(reverse("account-hand-over", args=[child.pk]), {"email": "kasia@example.com"}, follow=True)
    assert "skończył 16 lat" in too_young.content.decode()

    add_child(client, first_name="Tomek", pesel=TEEN_PESEL)
    teen = get_user_model().objects.get(first_name="Tomek")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account-hand-over", args=[teen.pk]), {"email": "tomek@example.com"})
    link = re.search(r"http://testserver(/konto/przejmij/[^\s]+/)", mail.outbox[-1].body).group(1)
    client.logout()
    bad = client.post(link, {"new_password1": "krotkie", "new_password2": "krotkie"})
    assert bad.status_code == 422
    assert client.post(link, {"new_password1": PASSWORD + "!", "new_password2": PASSWORD + "!"}).status_code == 302
    teen.refresh_from_db()
    assert teen.patient_profile.guardian is None and teen.check_password(PASSWORD + "!")
    assert EmailAddress.objects.get(user=teen).verified
    # The link works once.
    assert client.get(link).status_code == 404
    # The teen signs in alone.
    response = client.post(reverse("account_login"), {"login": "tomek@example.com", "password": PASSWORD + "!"})
    assert response.status_code == 302 and response.url == reverse("account-panel")


def test_attaching_respects_lockout_second_factor_and_tells_the_owner(
    client, guardian, settings, django_capture_on_commit_callbacks
):
    from terminarz.factors.models import EmailDevice

    url = reverse("account-dependents")
    protected = make_patient("chroniony@example.com", first_name="Adam")
    EmailDevice.objects.create(user=protected, name="e-mail", confirmed=True)
    response = client.post(url, {"action": "attach", "email": "chroniony@example.com", "password": PASSWORD})
    assert response.status_code == 422 and "logowanie dwuskładnikowe" in response.content.decode()

    grandpa = make_patient("dziadek@example.com", first_name="Jan")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"action": "attach", "email": "dziadek@example.com", "password": "zle"})
    locked = client.post(url, {"action": "attach", "email": "dziadek@example.com", "password": PASSWORD})
    # The right password of a locked account: the lockout page (axes), not a form error.
    assert locked.status_code == 429
    assert "Konto zostało zablokowane" in locked.content.decode()
    assert PatientProfile.objects.get(user=grandpa).guardian is None

    other = make_patient("babcia@example.com", first_name="Ala")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "attach", "email": "babcia@example.com", "password": PASSWORD})
    assert PatientProfile.objects.get(user=other).guardian == guardian
    assert mail.outbox[-1].to == ["babcia@example.com"] and "subkonto" in mail.outbox[-1].subject


def test_switch_redirects_only_inside_the_site(client, guardian):
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post(reverse("account-switch"), {"account": guardian.pk, "next": bad})
        assert response.url == reverse("account-panel"), bad
    ok = client.post(reverse("account-switch"), {"account": guardian.pk, "next": "/konto/dane/"})
    assert ok.url == "/konto/dane/"
