"""A patient account is named by the person's name, never its internal username (issue 11)."""

import pytest
from allauth.account.internal.userkit import user_display
from django.contrib.auth import get_user_model

from terminarz.notifications.models import Message

pytestmark = pytest.mark.django_db


def test_the_sign_in_message_names_the_person_not_the_username():
    user = get_user_model().objects.create_user(
        "pacjent-demo", "piotr@example.com", "haslo-testowe-123", first_name="Piotr", last_name="Pacjent"
    )
    assert user_display(user) == "Piotr Pacjent"
    nameless = get_user_model().objects.create_user("konto-7", "ola@example.com", "haslo-testowe-123")
    assert user_display(nameless) == "ola@example.com"


@pytest.mark.parametrize(
    ("status", "label"), [("SENT", "wysłany do operatora"), ("delivered", "doręczony"), ("X17", "X17")]
)
def test_sms_delivery_states_read_in_polish(status, label):
    assert Message(delivery_status=status).delivery_label == label
