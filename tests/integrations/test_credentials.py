"""A7: integration credentials – the secret shown once and kept only as a keyed hash, scopes,
rotation and revocation, the authenticated ping that records contact, and the connection status
with e-mail alerts on loss and restoration."""

import base64
import datetime as dt
import re

import pytest
from django.urls import reverse

from terminarz.core.logging import REDACTED, redacted_request
from terminarz.core.models import AuditEntry
from terminarz.integrations import services
from terminarz.integrations.models import ApiCredential
from terminarz.notifications.models import Message
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider

pytestmark = pytest.mark.django_db
PING = "/api/v1/integrations/ping"


def basic(client_id: str, secret: str) -> dict:
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


@pytest.fixture
def office(client, frozen):
    provider = make_provider()
    provider.email = "recepcja@example.com"
    provider.save()
    client.force_login(make_user("ada", provider, "admin"))
    return provider


def create(client):
    response = client.post(
        reverse("clinic:integrations"),
        {
            "name": "System gabinetowy",
            "scopes": ["system/Slot.read", "system/Appointment.write"],
            "alert_after_minutes": 30,
        },
    )
    html = response.content.decode()
    secret = re.search(r'<span class="secret">([^<]+)</span>', html).group(1)
    return ApiCredential.objects.get(), secret, html


def test_the_secret_is_shown_once_and_kept_only_as_a_hash(client, office):
    credential, secret, html = create(client)
    assert credential.client_id.startswith("tz_") and len(credential.client_id) == 27
    assert secret not in credential.secret_hash and len(secret) >= 40
    assert credential.scopes == ["system/Appointment.write", "system/Slot.read"]
    assert secret not in client.get(reverse("clinic:integrations")).content.decode()
    assert AuditEntry.objects.get(action="integration.created").summary.startswith(
        f"Utworzono dane dostępowe API „System gabinetowy” ({credential.client_id})"
    )
    assert secret not in AuditEntry.objects.get(action="integration.created").summary


def test_ping_records_contact_and_refuses_wrong_secrets(client, office):
    credential, secret, _html = create(client)
    client.logout()
    ok = client.post(PING, **basic(credential.client_id, secret))
    assert ok.status_code == 200
    assert ok.json() == {
        "status": "ok",
        "client_id": credential.client_id,
        "provider": office.name,
        "scopes": ["system/Appointment.write", "system/Slot.read"],
        "time": "2026-11-20T10:00:00+01:00",
    }
    credential.refresh_from_db()
    assert (credential.state, credential.last_contact_at) == ("active", FROZEN_NOW)
    for headers in (basic(credential.client_id, "zly-sekret"), basic("tz_nieznany", secret), {}):
        refused = client.post(PING, **headers)
        assert refused.status_code == 401
        assert refused.json()["code"] == "unauthorized"


def test_rotation_and_revocation(client, office):
    credential, secret, _html = create(client)
    rotated = client.post(reverse("clinic:integration", args=[credential.pk]), {"action": "rotate"})
    new_secret = re.search(r'<span class="secret">([^<]+)</span>', rotated.content.decode()).group(1)
    assert client.post(PING, **basic(credential.client_id, secret)).status_code == 401
    assert client.post(PING, **basic(credential.client_id, new_secret)).status_code == 200
    revoked = client.post(reverse("clinic:integration", args=[credential.pk]), {"action": "revoke"}, follow=True)
    assert [str(m) for m in revoked.context["messages"]] == [
        "Dane dostępowe zostały unieważnione – system nie połączy się już nimi."
    ]
    assert client.post(PING, **basic(credential.client_id, new_secret)).status_code == 401


def test_loss_and_restoration_of_contact_are_e_mailed_once(client, office, frozen):
    credential, secret, _html = create(client)
    client.post(PING, **basic(credential.client_id, secret))
    frozen.move_to(FROZEN_NOW + dt.timedelta(minutes=29))
    assert services.check_connections() == 0
    frozen.move_to(FROZEN_NOW + dt.timedelta(minutes=31))
    assert services.check_connections() == 1
    assert services.check_connections() == 0  # one e-mail per loss
    credential.refresh_from_db()
    assert credential.state == "lost"
    page = client.get(reverse("clinic:integrations")).content.decode()
    assert "Utracona" in page
    client.post(PING, **basic(credential.client_id, secret))
    kinds = list(Message.objects.order_by("pk").values_list("kind", "recipient"))
    assert kinds == [("integration_lost", "recepcja@example.com"), ("integration_restored", "recepcja@example.com")]


def test_bad_input_and_other_providers_credentials(client, office):
    empty = client.post(reverse("clinic:integrations"), {"name": "X", "alert_after_minutes": 1})
    assert empty.context["form"].errors == {
        "scopes": ["Wybierz co najmniej jeden zakres dostępu."],
        "alert_after_minutes": ["Upewnij się, że ta wartość jest większa lub równa 5."],
    }
    other = make_provider()
    foreign, _secret = services.create(
        other.pk, name="Obcy", scopes=["system/Slot.read"], alert_after_minutes=30, actor=None
    )
    assert client.post(reverse("clinic:integration", args=[foreign.pk]), {"action": "revoke"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
    client.force_login(make_user("rej", office, "registrar"))
    assert client.get(reverse("clinic:integrations")).status_code == 403


def test_the_same_form_sent_twice_makes_one_credential(client, office):
    key = client.get(reverse("clinic:integrations")).context["form"].initial["submission_key"]
    data = {"name": "System", "scopes": ["system/Slot.read"], "alert_after_minutes": 30, "submission_key": key}
    client.post(reverse("clinic:integrations"), data)
    again = client.post(reverse("clinic:integrations"), data, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "Te dane dostępowe już utworzono, a sekret pokazaliśmy raz. Jeśli go nie zapisano, użyj „Nowy sekret”."
    ]
    assert ApiCredential.objects.count() == 1


def test_guessing_is_rate_limited_and_odd_headers_are_refused(client, office, settings):
    credential, secret, _html = create(client)
    for odd in ("tz_\x00zz", "x" * 2000, ""):
        assert client.post(PING, **basic(odd, secret)).status_code == 401
    assert client.post(PING, HTTP_AUTHORIZATION="Basic !!!").status_code == 401
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_BOOKING = "3/m"
    answers = [client.post(PING, **basic(credential.client_id, "zgadywany")).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    assert client.post(PING, **basic(credential.client_id, "zgadywany")).json()["code"] == "rate_limited"


def test_the_secret_page_is_not_cached_and_a_refreshed_rotation_changes_nothing(client, office):
    response = client.post(
        reverse("clinic:integrations"),
        {"name": "System", "scopes": ["system/Slot.read"], "alert_after_minutes": 30},
    )
    assert response["Cache-Control"] == "no-store"
    credential = ApiCredential.objects.get()
    data = {"action": "rotate", "rotation_key": "klucz-1"}
    first = client.post(reverse("clinic:integration", args=[credential.pk]), data)
    secret = re.search(r'<span class="secret">([^<]+)</span>', first.content.decode()).group(1)
    again = client.post(reverse("clinic:integration", args=[credential.pk]), data, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "Nowy sekret już wygenerowano i pokazano raz. Jeśli go nie zapisano, wygeneruj kolejny."
    ]
    assert client.post(PING, **basic(credential.client_id, secret)).status_code == 200


def test_error_reports_do_not_carry_the_authorization_header(rf):
    request = rf.post(PING, HTTP_AUTHORIZATION="Basic dHpfMTIzOnNla3JldA==")
    assert redacted_request(request).META["HTTP_AUTHORIZATION"] == REDACTED
