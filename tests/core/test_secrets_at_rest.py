"""Issue 8, secrets at rest: a database dump alone must not produce a sign-in code or a
working visit link. Each test reads the raw rows with a cursor, then proves the flow still
works with the secret the user really got (QR page, e-mail, link)."""

import datetime as dt
import hashlib
import importlib
import json
import re
from base64 import b32decode
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP as AllauthTOTP
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.urls import reverse
from django_otp.oath import TOTP

from terminarz.accounts.models import PatientProfile
from terminarz.booking.models import LEGACY_TOKEN_PURPOSE, Appointment
from terminarz.booking.reminders import send_due_reminders
from terminarz.booking.services import book_appointment
from terminarz.core import crypto
from terminarz.factors.models import EmailDevice, TOTPDevice
from terminarz.scheduling.models import Slot
from terminarz.waiting.models import ENTRY_LEGACY_TOKEN_PURPOSE, OFFER_TOKEN_PURPOSE, WaitlistEntry, WaitlistOffer
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, make_provider

pytestmark = pytest.mark.django_db
PASSWORD = "Mocne-Haslo-Pacjenta-42"
CANCEL_LINK = re.compile(r"/wizyta/(\d+)/odwolaj/\?t=([A-Za-z0-9_-]+)")


def raw_row(table: str, pk: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return [json.dumps(v) if isinstance(v, dict | list) else str(v) for v in row]


def raw_outbox() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject, body, html_body, context FROM notifications_message")
        rows = cursor.fetchall()
    assert rows
    return "\n".join(json.dumps(v) if isinstance(v, dict) else str(v) for row in rows for v in row)


def now_code(key: bytes) -> str:
    return f"{TOTP(key).token():06d}"


def make_patient(email: str = "ewa@example.com"):
    user = get_user_model().objects.create_user("ewa", email, PASSWORD, first_name="Ewa", last_name="Kowal")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    PatientProfile.objects.create(user=user, phone="600 700 800")
    return user


# --- staff authenticator app (django-otp device) --------------------------------------------


def test_staff_totp_key_is_encrypted_and_the_code_from_the_qr_page_works(client, frozen):
    rita = make_user("rita", make_provider(), "registrar")
    client.force_login(rita)
    page = client.post(reverse("clinic:2fa"), {"action": "start-totp"})
    shown = page.context["secret"].replace(" ", "")  # what the staff member types into the app
    key = b32decode(shown)
    device = TOTPDevice.objects.get(user=rita, confirmed=False)

    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM factors_totpdevice WHERE id = %s", [device.pk])
        assert cursor.fetchone()[0].startswith("enc1:")
    for value in raw_row("factors_totpdevice", device.pk):
        assert key.hex() not in value.lower()
        assert shown not in value.upper()

    done = client.post(reverse("clinic:2fa"), {"action": "confirm-totp", "code": now_code(key)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    client.logout()
    client.post(reverse("clinic:login"), {"username": "rita", "password": "haslo-testowe-123"})
    frozen.shift(30)  # the next time step: a code is accepted once
    signed_in = client.post(reverse("clinic:2fa-verify"), {"action": "verify", "code": now_code(key)})
    assert signed_in.status_code == 302 and signed_in.url == reverse("clinic:home")


# --- e-mail codes (patients here; staff share the device and send_email_code) -----------------


def test_email_code_is_kept_only_as_a_keyed_hash_and_signs_in(client, frozen, django_capture_on_commit_callbacks):
    user = make_patient()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account-email-code"), {"action": "start"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    client.post(reverse("account-email-code"), {"action": "confirm", "code": code})
    assert EmailDevice.objects.get(user=user).confirmed is True
    client.logout()

    frozen.shift(60)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_login"), {"login": "ewa@example.com", "password": PASSWORD})
    assert response.url == reverse("account-login-code")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)

    device = EmailDevice.objects.get(user=user)
    row = raw_row("factors_emaildevice", device.pk)
    assert code not in row
    assert device.token_hash in row
    assert device.token_hash != hashlib.sha256(code.encode()).hexdigest()  # keyed, not a plain hash
    assert not any("ewa@example.com" in value for value in row)
    assert code not in raw_outbox()  # neither the queued context nor the sent text

    done = client.post(reverse("account-login-code"), {"action": "verify", "code": code})
    assert done.status_code == 302
    assert client.get(reverse("account-panel")).status_code == 200
    assert EmailDevice.objects.get(user=user).token_hash == ""  # a code works once


# --- patient authenticator app and recovery codes (allauth.mfa) -----------------------------


def test_allauth_totp_secret_and_recovery_seed_are_encrypted_and_sign_in_works(client, frozen):
    user = make_patient()
    secret = generate_totp_secret()
    totp = AllauthTOTP.activate(user, secret)
    recovery = RecoveryCodes.activate(user)
    codes = recovery.generate_codes()
    seed = crypto.decrypt(recovery.instance.data["seed"])

    for authenticator in (totp.instance, recovery.instance):
        raw = " ".join(raw_row("mfa_authenticator", authenticator.pk))
        assert "enc1:" in raw
        assert secret not in raw and seed not in raw
        assert not any(c in raw for c in codes)

    client.post(reverse("account_login"), {"login": "ewa@example.com", "password": PASSWORD})
    done = client.post(reverse("mfa_authenticate"), {"code": now_code(b32decode(secret))})
    assert done.status_code == 302
    assert client.get(reverse("account-panel")).status_code == 200

    client.logout()
    client.post(reverse("account_login"), {"login": "ewa@example.com", "password": PASSWORD})
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("account-panel")).status_code == 200


# --- visit links ------------------------------------------------------------------------------


def test_visit_token_is_not_stored_and_the_link_from_the_email_cancels(
    client, today, frozen, django_capture_on_commit_callbacks
):
    _, _, _, schedule = clinic(today=today, days=4)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW + dt.timedelta(hours=30)).first()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(slot.pk, PATIENT)
    pk, token = CANCEL_LINK.search(mail.outbox[-1].body).groups()
    assert int(pk) == appointment.pk

    assert not any(token in value for value in raw_row("booking_appointment", appointment.pk))
    assert token not in raw_outbox()

    # A reminder sent a day later carries the same working link (derived, not stored).
    frozen.move_to(appointment.start - dt.timedelta(hours=23))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1
    reminder = next(m for m in mail.outbox if "Przypomnienie" in m.subject)
    assert CANCEL_LINK.search(reminder.body).groups() == (pk, token)

    url = reverse("portal:cancel", args=[appointment.pk])
    assert client.get(url, {"t": token[:-1] + ("A" if token[-1] != "A" else "B")}).status_code == 404
    done = client.post(url, {"t": token, "reason": "wyjazd"})
    assert "Wizyta została odwołana" in done.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_a_link_emailed_before_the_migration_keeps_working(client, today):
    """Data migration booking 0011 keeps a keyed hash of each issued token, under the
    purpose the model checks."""
    migration = importlib.import_module("terminarz.booking.migrations.0011_visit_token_derived")
    assert migration.LEGACY_TOKEN_PURPOSE == LEGACY_TOKEN_PURPOSE
    _, _, _, schedule = clinic(today=today, days=1)
    appointment = book_appointment(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first().pk, PATIENT)
    issued = "stary-token-z-wyslanego-maila-0123456789abcdef"
    Appointment.objects.filter(pk=appointment.pk).update(
        legacy_token_hash=crypto.secret_hash(LEGACY_TOKEN_PURPOSE, issued)
    )
    assert not any(issued in value for value in raw_row("booking_appointment", appointment.pk))
    client.post(reverse("portal:cancel", args=[appointment.pk]), {"t": issued, "reason": "wyjazd"})
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_waiting_list_tokens_are_not_stored_and_their_links_work(client, today, django_capture_on_commit_callbacks):
    _, _, practitioner, schedule = clinic(today=today, days=2)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    visits = [book_appointment(s.pk, {**PATIENT, "email": f"p{i}@example.com"}) for i, s in enumerate(slots)]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("waitlist-join") + f"?lekarz={practitioner.pk}",
            {"first_name": "Ala", "last_name": "Czekająca", "email": "ala@example.com", "phone": ""},
        )
    entry = WaitlistEntry.objects.get()
    joined = next(m for m in mail.outbox if m.to == ["ala@example.com"])
    entry_token = re.search(rf"/lista-rezerwowa/{entry.pk}/\?t=([A-Za-z0-9_-]+)", joined.body).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:cancel", args=[visits[0].pk]), {"t": visits[0].cancel_token, "reason": "x"})
    offered = next(m for m in mail.outbox if m.to == ["ala@example.com"] and "Zwolnił się termin" in m.subject)
    offer_token = re.search(r"/lista-rezerwowa/oferta/([A-Za-z0-9_-]+)/", offered.body).group(1)
    offer = WaitlistOffer.objects.get()

    assert not any(entry_token in value for value in raw_row("waiting_waitlistentry", entry.pk))
    assert not any(offer_token in value for value in raw_row("waiting_waitlistoffer", offer.pk))
    assert entry_token not in raw_outbox() and offer_token not in raw_outbox()

    assert client.get(reverse("waitlist-offer", args=[offer_token])).status_code == 200
    assert client.get(reverse("waitlist-offer", args=[entry_token])).status_code == 404
    client.post(reverse("waitlist-entry", args=[entry.pk]), {"t": entry_token})
    entry.refresh_from_db()
    assert entry.status == "cancelled"


def test_waiting_list_migration_purposes_match_the_models():
    migration = importlib.import_module("terminarz.waiting.migrations.0003_waitlist_token_derived")
    assert migration.ENTRY_LEGACY_TOKEN_PURPOSE == ENTRY_LEGACY_TOKEN_PURPOSE
    assert migration.OFFER_TOKEN_PURPOSE == OFFER_TOKEN_PURPOSE


# --- data migrations of factor secrets --------------------------------------------------------


def test_old_django_otp_devices_are_moved_encrypted_and_still_verify(frozen):
    """factors 0002 on a database that still has otp_totp / otp_email rows."""
    rita = make_user("rita", make_provider(), "registrar")
    hex_key = "3132333435363738393031323334353637383930"
    created = "2026-11-01 10:00:00"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_totp_totpdevice (id integer PRIMARY KEY, user_id integer, name varchar(64), "
            "confirmed boolean, throttling_failure_timestamp timestamp NULL, throttling_failure_count integer, "
            "created_at timestamp NULL, last_used_at timestamp NULL, key varchar(80), step integer, t0 bigint, "
            "digits integer, tolerance integer, drift integer, last_t bigint)"
        )
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES "
            "(7, %s, 'aplikacja', %s, NULL, 0, %s, NULL, %s, 30, 0, 6, 1, 0, -1)",
            [rita.pk, True, created, hex_key],
        )
        cursor.execute(
            "CREATE TABLE otp_email_emaildevice (id integer PRIMARY KEY, user_id integer, name varchar(64), "
            "confirmed boolean, throttling_failure_timestamp timestamp NULL, throttling_failure_count integer, "
            "created_at timestamp NULL, last_used_at timestamp NULL, email varchar(254) NULL, "
            "last_generated_timestamp timestamp NULL, valid_until timestamp, token varchar(16) NULL)"
        )
        cursor.execute(
            "INSERT INTO otp_email_emaildevice VALUES (3, %s, 'e-mail', %s, NULL, 0, %s, NULL, %s, NULL, %s, %s)",
            [rita.pk, False, created, "rita@example.com", created, "123456"],
        )
    migration = importlib.import_module("terminarz.factors.migrations.0002_move_otp_devices")
    migration.move_devices(None, SimpleNamespace(connection=connection))  # it needs only the connection

    totp = TOTPDevice.objects.get(user=rita)
    assert totp.key == hex_key and totp.confirmed is True
    assert not any(hex_key in value for value in raw_row("factors_totpdevice", totp.pk))
    assert totp.verify_token(now_code(bytes.fromhex(hex_key))) is True
    email = EmailDevice.objects.get(user=rita)
    assert email.email == "rita@example.com" and email.confirmed is False and email.token_hash == ""
    assert not any("rita@example.com" in value for value in raw_row("factors_emaildevice", email.pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT COUNT(*) FROM otp_email_emaildevice")
        assert cursor.fetchone()[0] == 0


def test_plain_allauth_authenticators_are_encrypted_by_the_migration(frozen):
    """factors 0003 on rows written by allauth before MFA_ADAPTER was set."""
    from django.apps import apps

    user = make_patient()
    secret = generate_totp_secret()
    plain = Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": secret})
    seed = RecoveryCodes.generate_seed()
    codes = Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": seed, "used_mask": 0}
    )
    migration = importlib.import_module("terminarz.factors.migrations.0003_encrypt_mfa_authenticators")
    migration.encrypt_authenticators(apps, None)

    assert secret not in " ".join(raw_row("mfa_authenticator", plain.pk))
    assert seed not in " ".join(raw_row("mfa_authenticator", codes.pk))
    plain.refresh_from_db()
    assert AllauthTOTP(plain).validate_code(now_code(b32decode(secret))) is True
    codes.refresh_from_db()
    first = RecoveryCodes(codes).generate_codes()[0]
    assert RecoveryCodes(codes).validate_code(first) is True
