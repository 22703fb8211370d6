"""E4 "Dodawanie i odłączanie subkont": an attached account (with its own sign-in) is detached
by the guardian or leaves by itself and manages itself again; a sub-account without its own
sign-in cannot be left without anyone to manage it; a person under 16 does not sign up alone."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from terminarz.accounts.models import PatientProfile
from tests.accounts.test_dependents import PASSWORD, add_child, guardian, make_patient  # noqa: F401 (fixture)
from tests.accounts.test_patient_accounts import signup_data

pytestmark = pytest.mark.django_db

UNDER_16_PESEL = "13262512345"  # born 25.06.2013: 13 on the frozen date


def attach(client, adult):
    data = {"action": "attach", "email": adult.email, "password": PASSWORD}
    assert client.post(reverse("account-dependents"), data).status_code == 302
    adult.patient_profile.refresh_from_db()
    assert adult.patient_profile.guardian is not None


def test_guardian_detaches_an_attached_account_and_its_owner_is_told(
    client,
    guardian,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    dad = make_patient("tata@example.com", first_name="Jan")
    attach(client, dad)
    client.post(reverse("account-switch"), {"account": dad.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account-dependents"), {"action": "detach", "dependent": dad.pk})
    assert response.status_code == 302
    dad.patient_profile.refresh_from_db()
    assert dad.patient_profile.guardian is None and dad.patient_profile.dependent_reason == ""
    told = mail.outbox[-1]
    assert told.to == ["tata@example.com"] and "odłączył" in told.body
    client.get(reverse("account-dependents"))  # shows the notices once
    page = client.get(reverse("account-dependents")).content.decode()
    assert "Jan Kowal" not in page  # gone from the guardian's list, and from the switcher
    assert client.session.get("acting_account_id") is None


def test_a_sub_account_without_its_own_sign_in_is_not_detached(client, guardian):  # noqa: F811
    add_child(client)
    child = get_user_model().objects.get(first_name="Zosia")
    response = client.post(reverse("account-dependents"), {"action": "detach", "dependent": child.pk}, follow=True)
    assert "nie ma własnego logowania" in response.content.decode()
    child.patient_profile.refresh_from_db()
    assert child.patient_profile.guardian == guardian


def test_someone_elses_dependent_is_not_found(client, guardian):  # noqa: F811
    other = make_patient("inna@example.com")
    stranger = make_patient("obcy@example.com")
    PatientProfile.objects.filter(user=stranger).update(guardian=other)
    response = client.post(reverse("account-dependents"), {"action": "detach", "dependent": stranger.pk})
    assert response.status_code == 404
    stranger.patient_profile.refresh_from_db()
    assert stranger.patient_profile.guardian == other


def test_the_attached_person_leaves_by_themselves(client, guardian, django_capture_on_commit_callbacks):  # noqa: F811
    dad = make_patient("tata@example.com", first_name="Jan")
    attach(client, dad)
    client.force_login(dad, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("account-dependents")).content.decode()
    assert "Twoim kontem zarządza też: Ewa Kowal" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("account-dependents"), {"action": "leave"}).status_code == 302
    dad.patient_profile.refresh_from_db()
    assert dad.patient_profile.guardian is None
    assert mail.outbox[-1].to == ["mama@example.com"]


def test_a_person_under_16_cannot_sign_up_alone(client, frozen):
    response = client.post(reverse("account_signup"), signup_data(pesel=UNDER_16_PESEL))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Osoba poniżej 16 lat nie może sama założyć konta" in page
    assert "Subkonta" in page  # the pointer to the guardian's account
    assert not get_user_model().objects.filter(email="ewa@example.com").exists()


def test_without_a_pesel_the_person_confirms_being_16(client, frozen, django_capture_on_commit_callbacks):
    refused = client.post(reverse("account_signup"), signup_data(pesel=""))
    assert "Osoba poniżej 16 lat nie może sama założyć konta" in refused.content.decode()
    assert not get_user_model().objects.filter(email="ewa@example.com").exists()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(reverse("account_signup"), signup_data(pesel="", adult="on"))
    assert accepted.status_code == 302
    assert get_user_model().objects.filter(email="ewa@example.com").exists()
