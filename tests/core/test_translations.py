"""Languages (issue 11 item 8): Polish is the source; every patient-facing string has an
English and a Ukrainian translation; Polish plurals have all their forms; the patient's
language reaches their e-mails; the back-office stays Polish."""

import os
import shutil
import subprocess
import sys

import polib
import pytest
from django.core import mail
from django.urls import reverse

from terminarz.booking.models import Appointment
from terminarz.core.translations import PACKAGE, compile_all
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW, ON_CI
from tests.factories import PATIENT, clinic

ROOT = PACKAGE.parent.parent
SCRIPT = ROOT / "scripts" / "messages"


def committed(language: str) -> polib.POFile:
    return polib.pofile(str(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"))


def key(entry) -> tuple:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A fresh extraction of the code's strings, the way scripts/messages does it, into a
    scratch folder (needs GNU gettext's xgettext, as makemessages does)."""
    if shutil.which("xgettext") is None:
        if ON_CI:
            pytest.fail("xgettext (GNU gettext) is required on CI for the catalogue coverage test")
        pytest.skip("xgettext not installed (apt-get install gettext)")
    out = tmp_path_factory.mktemp("extraction") / "locale"
    out.mkdir()
    env = {**os.environ, "LOCALE_OUT": str(out), "DJANGO_SETTINGS_MODULE": "tests.i18n_settings"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    args = [sys.executable, "-m", "django", "makemessages", "--no-location", "--extension", "html,txt,py"]
    args += ["--ignore", "migrations/*"]
    patient_only = ["--ignore", "clinic/*", "--ignore", "demo/*", "--ignore", "api/*", "--ignore", "*/admin.py"]
    patient_only += ["--ignore", "settings/*", "--ignore", "insurers/*", "--ignore", "payerdesk/*"]
    patient_only += ["--ignore", "onboarding/*", "--ignore", "operatordesk/*", "--ignore", "subscriptions/*"]
    patient_only += ["--ignore", "factors/policy.py"]
    patient_only += ["--ignore", "booking/templates/booking/email/clinic_notice*"]
    # On a copy of the code without its catalogues: run on the package itself, makemessages
    # would write into the package's own locale folder.
    cwd = out.parent / "terminarz"
    shutil.copytree(PACKAGE, cwd, ignore=shutil.ignore_patterns("locale", "__pycache__", "static", "*.mo"))
    subprocess.run([*args, "-l", "pl"], cwd=cwd, env=env, check=True, capture_output=True)
    subprocess.run([*args, *patient_only, "-l", "en", "-l", "uk"], cwd=cwd, env=env, check=True, capture_output=True)
    return {lang: polib.pofile(str(out / lang / "LC_MESSAGES" / "django.po")) for lang in ("pl", "en", "uk")}


def test_the_extraction_script_matches_the_test(extracted):
    text = SCRIPT.read_text()
    staff_only = ("clinic/*", "demo/*", "api/*", "*/admin.py", "settings/*", "insurers/*", "payerdesk/*")
    staff_only += ("onboarding/*", "operatordesk/*", "subscriptions/*")
    for ignored in (*staff_only, "factors/policy.py", "clinic_notice*"):
        assert ignored in text


@pytest.mark.parametrize("language", ["en", "uk"])
def test_every_patient_facing_string_is_translated(extracted, language):
    translations = {key(e): e for e in committed(language) if not e.obsolete}
    missing = []
    for entry in extracted[language]:
        found = translations.get(key(entry))
        if found is None or "fuzzy" in found.flags:
            missing.append(entry.msgid)
        elif entry.msgid_plural:
            if not all(found.msgstr_plural.values()):
                missing.append(entry.msgid)
        elif not found.msgstr:
            missing.append(entry.msgid)
    assert missing == []


def test_polish_plurals_have_every_form(extracted):
    translations = {key(e): e for e in committed("pl")}
    incomplete = []
    for entry in extracted["pl"]:
        if not entry.msgid_plural:
            continue
        found = translations.get(key(entry))
        if found is None or len([v for v in found.msgstr_plural.values() if v]) < 3:
            incomplete.append(entry.msgid)
    assert incomplete == []


def test_committed_catalogues_compile(tmp_path):
    copy = tmp_path / "terminarz"
    shutil.copytree(PACKAGE / "locale", copy / "locale", ignore=shutil.ignore_patterns("*.mo"))
    assert sorted(p.relative_to(copy).as_posix() for p in compile_all(copy)) == [
        f"locale/{lang}/LC_MESSAGES/django.mo" for lang in ("en", "pl", "uk")
    ]


@pytest.mark.django_db
def test_polish_plural_forms_in_the_hold_email(client, today, django_capture_on_commit_callbacks):
    from terminarz.providers.models import settings_for

    provider, _, _, schedule = clinic(today=today, days=2)
    rules = settings_for(provider.pk)
    rules.multi_step, rules.hold_minutes = True, 22
    rules.save()
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:book", args=[slot.pk]), PATIENT)
    assert "(22 minuty)" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_booking_in_ukrainian_sends_ukrainian_emails(client, today, django_capture_on_commit_callbacks):
    _, _, _, schedule = clinic(today=today, days=2)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    client.post(reverse("set-language"), {"language": "uk", "next": "/"})
    page = client.get(reverse("portal:book", args=[slot.pk])).content.decode()
    assert '<html lang="uk">' in page
    assert "Дані пацієнта" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:book", args=[slot.pk]), PATIENT)
    assert response.status_code == 302
    assert Appointment.objects.get().language == "uk"
    confirmation = mail.outbox[0]
    assert confirmation.subject.startswith(f"Підтвердження візиту {Appointment.objects.get().reference}")
    assert confirmation.body.startswith("Добрий день,")


@pytest.mark.django_db
def test_english_from_the_browser_on_patient_pages_polish_in_the_back_office(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    assert "Book a visit" in page
    back_office = client.get("/gabinet/logowanie/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nazwa użytkownika" in back_office
