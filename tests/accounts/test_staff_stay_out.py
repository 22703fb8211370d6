"""Staff accounts stay out of the patient password reset (/konto/password/reset/): their e-mail
is answered like an unknown one and a reset key never opens for them (issue 8 review, F1)."""

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from terminarz.providers.models import Membership
from tests.clinic.test_access import make_user
from tests.factories import make_provider

pytestmark = pytest.mark.django_db
RESET_PATH = "/konto/password/reset/key/"
NEW_PASSWORD = "Nowe-haslo-atakujacego-9"


def staff_member(username="rita"):
    user = make_user(username, make_provider("A"), "registrar")
    user.email = f"{username}@example.com"
    user.save()
    return user


def platform_user(username, **flags):
    return get_user_model().objects.create_user(username, f"{username}@example.com", "haslo-testowe-123", **flags)


STAFF_KINDS = {
    "member of a provider": lambda: staff_member("rita"),
    "is_staff": lambda: platform_user("ops", is_staff=True),
    "is_superuser": lambda: platform_user("root", is_superuser=True),
}


def request_reset(client, email, capture):
    mail.outbox.clear()
    with capture(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": email})
    return response, [(m.subject, m.body) for m in mail.outbox]


@pytest.mark.parametrize("kind", STAFF_KINDS)
def test_reset_request_for_a_staff_email_is_answered_like_an_unknown_one(
    client, kind, django_capture_on_commit_callbacks
):
    user = STAFF_KINDS[kind]()
    staff_response, staff_mails = request_reset(client, user.email, django_capture_on_commit_callbacks)
    unknown_response, unknown_mails = request_reset(client, "nikt@example.com", django_capture_on_commit_callbacks)

    assert staff_response.status_code == unknown_response.status_code == 302
    assert staff_response.url == unknown_response.url
    assert [subject for subject, _ in staff_mails] == [subject for subject, _ in unknown_mails]
    assert [RESET_PATH in body for _, body in staff_mails] == [False]


def test_reset_request_for_a_patient_still_sends_the_link(client, django_capture_on_commit_callbacks):
    patient = platform_user("ewa")
    _, mails = request_reset(client, patient.email, django_capture_on_commit_callbacks)
    assert [RESET_PATH in body for _, body in mails] == [True]


def try_issued_key(client, user, key: str):
    """What the holder of a mailed link does: open it, then send a new password to the form."""
    uid = user_pk_to_url_str(user)
    opened = client.get(f"{RESET_PATH}{uid}-{key}/")
    session = client.session
    session["_password_reset_key"] = key  # as if the link had opened the form
    session.save()
    sent = client.post(f"{RESET_PATH}{uid}-set-password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    return opened, sent


@pytest.mark.parametrize("kind", STAFF_KINDS)
def test_an_issued_key_does_not_change_a_staff_password(client, kind):
    user = STAFF_KINDS[kind]()
    opened, sent = try_issued_key(client, user, default_token_generator.make_token(user))

    assert [opened.status_code, sent.status_code] == [200, 200]
    assert [opened.context["token_fail"], sent.context["token_fail"]] == [True, True]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) is False


def test_a_key_issued_while_a_patient_stops_working_once_the_person_is_staff(client):
    """The key was mailed before the account got a membership: it must not set a staff password."""
    user = platform_user("ewa")
    key = default_token_generator.make_token(user)
    Membership.objects.create(user=user, provider=make_provider("A"), role="registrar")

    opened, sent = try_issued_key(client, user, key)

    assert [opened.status_code, sent.status_code] == [200, 200]
    assert [opened.context["token_fail"], sent.context["token_fail"]] == [True, True]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) is False


def test_the_same_key_still_works_for_a_patient(client):
    user = platform_user("ewa")
    opened, sent = try_issued_key(client, user, default_token_generator.make_token(user))

    assert (opened.status_code, sent.status_code) == (302, 302)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) is True
