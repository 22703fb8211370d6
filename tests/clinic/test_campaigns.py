"""I2 marketing campaigns: only patients whose account currently agrees to marketing on the
channel get the message; every message can be unsubscribed from, which withdraws the consent
(kept in its history); sending is paced through the outbox, shown with a count and a preview
before, and reported after."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from terminarz.accounts.models import Consent, PatientProfile, current_consents, record_consents
from terminarz.core.models import AuditEntry
from terminarz.marketing import services
from terminarz.marketing.models import Campaign
from terminarz.notifications.models import Message
from terminarz.notifications.services import deliver_due_messages
from terminarz.patients.services import match_or_create_patient
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider

pytestmark = pytest.mark.django_db


def patient_with_account(provider, name: str, *, email: bool | None, sms: bool | None = None, phone: str = ""):
    """A record of the provider linked to an account whose marketing consents are as given
    (None: never decided)."""
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "x", first_name=name.capitalize())
    PatientProfile.objects.create(user=user, phone=phone)
    decisions = {
        kind: value
        for kind, value in ((Consent.Kind.MARKETING_EMAIL, email), (Consent.Kind.MARKETING_SMS, sms))
        if value is not None
    }
    record_consents(user, decisions, source="signup")
    patient = match_or_create_patient(
        provider, first_name=name.capitalize(), last_name="Pacjent", email=user.email, phone=phone, pesel=""
    )
    patient.account = user
    patient.save(update_fields=["account"])
    return patient


@pytest.fixture
def world(client, frozen):
    provider = make_provider()
    admin = make_user("ada", provider, "admin")
    client.force_login(admin)
    people = {
        "ania": patient_with_account(provider, "ania", email=True),
        "bartek": patient_with_account(provider, "bartek", email=False),  # said no at sign-up
        "celina": patient_with_account(provider, "celina", email=None),  # never decided
        "dorota": patient_with_account(provider, "dorota", email=True),
        "ewa": patient_with_account(provider, "ewa", email=False, sms=True, phone="600 100 200"),
    }
    record_consents(people["dorota"].account, {Consent.Kind.MARKETING_EMAIL: False}, source="account")  # withdrew
    other = make_provider(name="Inna Przychodnia")
    patient_with_account(other, "obca", email=True)
    match_or_create_patient(provider, first_name="Bez", last_name="Konta", email="bez@example.com", phone="", pesel="")
    return {"provider": provider, "admin": admin, "people": people}


def new_campaign(client, **over):
    data = {
        "name": "Szczepienia przeciw grypie",
        "channel": "email",
        "subject": "{imie}, szczepienia już są",
        "body": "Dzień dobry {imie}, zapraszamy na szczepienia w {placowka}.",
        **over,
    }
    response = client.post(reverse("clinic:campaigns"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Campaign.objects.get(name=data["name"])


def test_only_patients_whose_consent_allows_the_channel_get_it(client, world, django_capture_on_commit_callbacks):
    campaign = new_campaign(client)
    page = client.get(reverse("clinic:campaign", args=[campaign.pk])).content.decode()
    assert "Wiadomość trafi do 1 pacjenta" in page  # the count before sending
    assert "Dzień dobry Anna, zapraszamy na szczepienia w" in page  # the preview, sample data
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("clinic:campaign", args=[campaign.pk]), {"action": "send"})
    deliver_due_messages()
    marketing = [m for m in mail.outbox if "szczepienia już są" in m.subject]
    assert [m.to for m in marketing] == [["ania@example.com"]]  # not bartek, celina, dorota, ewa, others
    assert marketing[0].subject == "Ania, szczepienia już są"
    assert "Rezygnacja z informacji marketingowych: http" in marketing[0].body
    campaign.refresh_from_db()
    assert (campaign.status, campaign.recipients_count) == ("sent", 1)
    assert AuditEntry.objects.get(action="campaign.sent").provider == world["provider"]


def test_sms_campaign_goes_to_sms_consents_only(client, world):
    campaign = new_campaign(client, name="SMS", channel="sms", subject="", body="{placowka}: USG -20% do piątku.")
    services.send_campaign(campaign, actor=world["admin"])
    sms = Message.objects.filter(kind="marketing")
    assert [(m.channel, m.recipient) for m in sms] == [("sms", "48600100200")]
    assert "USG -20% do piatku. Rezygnacja z informacji marketingowych: http" in sms[0].body


def test_the_unsubscribe_link_withdraws_the_consent_with_history(client, world, django_capture_on_commit_callbacks):
    campaign = new_campaign(client)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_campaign(campaign, actor=world["admin"])
    deliver_due_messages()
    body = next(m for m in mail.outbox if "szczepienia" in m.subject).body
    link = re.search(r"https?://[^/\s]+(/rezygnacja/[^\s]+/)", body).group(1)
    client.logout()
    asked = client.get(link).content.decode()
    assert "Czy zrezygnować z informacji marketingowych e-mailem?" in asked
    ania = world["people"]["ania"].account
    assert current_consents(ania)["marketing_email"] is True  # a GET (a mail scanner) changes nothing
    done = client.post(link).content.decode()
    assert "Nie będziemy wysyłać Ci informacji marketingowych e-mailem" in done
    history = list(
        Consent.objects.filter(user=ania, kind="marketing_email").order_by("pk").values_list("granted", "source")
    )
    assert history == [(True, "signup"), (False, "unsubscribe")]
    client.post(link)  # twice: nothing new
    assert Consent.objects.filter(user=ania, kind="marketing_email").count() == 2
    client.force_login(world["admin"])
    second = new_campaign(client, name="Druga")
    assert "Wiadomość trafi do 0 pacjentów" in client.get(reverse("clinic:campaign", args=[second.pk])).content.decode()
    report = client.get(reverse("clinic:campaign", args=[campaign.pk])).content.decode()
    assert "<tr><td>zrezygnowali z informacji marketingowych</td><td>1</td></tr>" in report
    assert client.get("/rezygnacja/podrobiony/").status_code == 404


def test_sending_is_paced_through_the_outbox_and_reported(client, world, settings, frozen):
    settings.MARKETING_PER_MINUTE = 1
    provider = world["provider"]
    for name in ("fryderyk", "grazyna"):
        patient_with_account(provider, name, email=True)
    campaign = new_campaign(client)
    assert services.send_campaign(campaign, actor=world["admin"]) == 3
    due = sorted(Message.objects.filter(kind="marketing").values_list("next_attempt_at", flat=True))
    assert due == [FROZEN_NOW, FROZEN_NOW + dt.timedelta(minutes=1), FROZEN_NOW + dt.timedelta(minutes=2)]
    assert deliver_due_messages() == 1  # one a minute
    frozen.shift(dt.timedelta(minutes=1))
    assert deliver_due_messages() == 1
    report = client.get(reverse("clinic:campaign", args=[campaign.pk])).content.decode()
    assert "<tr><td>wysłana</td><td>2</td></tr>" in report and "<tr><td>oczekuje</td><td>1</td></tr>" in report


def test_a_campaign_is_sent_once_and_a_sent_one_is_not_edited(client, world):
    campaign = new_campaign(client)
    url = reverse("clinic:campaign", args=[campaign.pk])
    client.post(url, {"action": "send"})
    again = client.post(url, {"action": "send"}, follow=True).content.decode()
    assert "Nie można zmienić statusu kampanii z „wysłana” na „wysłana”." in again
    assert Message.objects.filter(kind="marketing").count() == 1
    client.post(url, {"action": "save", "name": "Zmieniona", "channel": "email", "subject": "x", "body": "y"})
    campaign.refresh_from_db()
    assert campaign.name == "Szczepienia przeciw grypie"


def test_form_refuses_unknown_fields_and_a_missing_subject(client, world):
    bad = client.post(
        reverse("clinic:campaigns"), {"name": "X", "channel": "email", "subject": "", "body": "Wizyta {data}"}
    )
    page = bad.content.decode()
    assert bad.status_code == 422
    assert "W kampanii nie ma pola {data}." in page and "Podaj temat wiadomości e-mail." in page
    assert not Campaign.objects.exists()


def test_only_those_with_the_permission_and_only_own_campaigns(client, world):
    campaign = new_campaign(client)
    other = make_provider(name="Trzecia")
    stranger = make_user("obcy", other, "admin")
    client.force_login(stranger)
    assert client.get(reverse("clinic:campaign", args=[campaign.pk])).status_code == 404
    client.force_login(make_user("rachel", world["provider"], "registrar"))
    assert client.get(reverse("clinic:campaigns")).status_code == 403


def test_consent_withdrawn_after_queueing_stops_the_message(client, world, settings, frozen):
    settings.MARKETING_PER_MINUTE = 1
    dorota = world["people"]["dorota"]
    record_consents(dorota.account, {Consent.Kind.MARKETING_EMAIL: True}, source="account")
    campaign = new_campaign(client)
    assert services.send_campaign(campaign, actor=world["admin"]) == 2  # ania now, dorota a minute later
    record_consents(dorota.account, {Consent.Kind.MARKETING_EMAIL: False}, source="account")
    frozen.shift(dt.timedelta(minutes=1))
    deliver_due_messages()
    later = Message.objects.get(kind="marketing", recipient="dorota@example.com")
    assert (later.status, later.last_error) == ("failed", "zgoda na informacje marketingowe wycofana – nie wysłano")
    assert [m.to for m in mail.outbox if "szczepienia" in m.subject] == [["ania@example.com"]]


def test_one_message_an_account_to_its_own_contact(client, world):
    ania = world["people"]["ania"]
    child = match_or_create_patient(
        world["provider"], first_name="Zosia", last_name="Dziecko", email="", phone="601 999 999", pesel=""
    )
    child.account = ania.account  # the mother books for her child from her account
    child.save(update_fields=["account"])
    campaign = new_campaign(client)
    services.send_campaign(campaign, actor=world["admin"])
    assert list(Message.objects.filter(kind="marketing").values_list("recipient", flat=True)) == ["ania@example.com"]
    record_consents(ania.account, {Consent.Kind.MARKETING_SMS: True}, source="account")
    sms = new_campaign(client, name="SMS", channel="sms", subject="", body="Tekst")
    services.send_campaign(sms, actor=world["admin"])
    assert not Message.objects.filter(kind="marketing", channel="sms", recipient="48601999999").exists()


def test_an_sms_text_keeps_room_for_the_unsubscribe_link(client, world):
    response = client.post(
        reverse("clinic:campaigns"), {"name": "Długi", "channel": "sms", "subject": "", "body": "x" * 401}
    )
    assert response.status_code == 422
    assert "SMS może mieć najwyżej 400 znaków treści – na końcu dodamy link do rezygnacji." in response.content.decode()
