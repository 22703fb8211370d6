"""The audit log in Polish (issue 11 item 8): actions, who acted, changes as "before → after"."""

from terminarz.booking import transitions  # noqa: F401  (registers the appointment machine)
from terminarz.core import audit_labels


def test_actions_read_in_polish():
    assert audit_labels.action_label("closure.opened") == "Dzień pracy mimo święta"
    assert audit_labels.action_label("appointment.no_show") == "Zmiana statusu wizyty: nieobecność"
    assert audit_labels.action_label("integration.webhook_created") == "Nowy webhook"
    assert audit_labels.action_label("calendar_feed.revoked") == "Wyłączenie linku kalendarza internetowego"
    assert audit_labels.action_label("something.new") == "something.new"


def test_changes_read_as_before_and_after():
    assert audit_labels.change_lines(
        "appointment.cancelled", {"status": ["confirmed", "cancelled"], "reason": "wyjazd"}
    ) == [("status", "zarezerwowana → odwołana"), ("powód", "wyjazd")]
    assert audit_labels.change_lines(
        "settings.registration", {"online_registration": {"before": True, "after": False}}, "registrationsettings"
    ) == [("Rejestracja on-line", "tak → nie")]
    assert audit_labels.change_lines("appointment.confirmed", {"status": ["", "confirmed"]}) == [
        ("status", "– → zarezerwowana")
    ]


def test_who_acted_reads_in_polish():
    assert audit_labels.actor_label("client:tz_00ab") == "system placówki (tz_00ab)"
    assert audit_labels.actor_label("fhir") == "aplikacja FHIR"
    assert [audit_labels.actor_label(a) for a in ("patient", "system", "api", "user:7")] == [
        "pacjent",
        "system",
        "API",
        "konto #7",
    ]


def test_a_list_that_is_not_a_before_and_after_pair_reads_as_a_list():
    assert audit_labels.change_lines("patient.changed", {"fields": ["first_name", "phone"]}, "patient") == [
        ("zmienione pola", "imię, telefon")
    ]
    assert audit_labels.change_lines("staff.permissions", {"granted": ["a.b", "c.d"], "role": {"x": 1}}) == [
        ("nadane uprawnienia", "a.b, c.d"),
        ("rola", "x: 1"),
    ]
