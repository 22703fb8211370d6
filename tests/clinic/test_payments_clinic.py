"""H1–H3, H6, H7 in the back-office: payment settings and rules with their field errors, one
visit's payment (waive, new deadline, resend, refund permission), the report and its XLSX."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from terminarz.booking.services import book_appointment
from terminarz.core.models import AuditEntry
from terminarz.notifications.models import Message
from terminarz.payments.models import Payment, PaymentRule, PaymentSettings
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT
from tests.payments.conftest import payment_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(today, client):
    provider, unit, practitioner, service = payment_clinic(today=today)
    slots = Slot.objects.filter(practitioner=practitioner, start__gt=FROZEN_NOW + dt.timedelta(days=2)).order_by(
        "start"
    )
    held = book_appointment(slots[0].pk, PATIENT, now=FROZEN_NOW)
    admin = make_user("ada", provider, "admin")
    registrar = make_user("rachel", provider, "registrar")
    return {
        "provider": provider,
        "practitioner": practitioner,
        "service": service,
        "held": held,
        "admin": admin,
        "registrar": registrar,
        "slots": slots,
    }


SETTINGS = {
    "s-enabled": "on",
    "s-gateway": "przelewy24",
    "s-link_email": "on",
    "s-reminder_hours": "2",
    "s-refund_hours": "24",
    "r-requirement": "mandatory",
    "r-amount_kind": "full",
    "r-deadline_kind": "before_visit",
    "r-hours_before_visit": "48",
}


def test_settings_save_and_are_audited(client, desk):
    client.force_login(desk["admin"])
    response = client.post(
        reverse("clinic:payment-settings"), {**SETTINGS, "s-first_time_mandatory": "on", "s-gateway": "autopay"}
    )
    settings = PaymentSettings.objects.get(provider=desk["provider"])
    rule = PaymentRule.objects.get(provider=desk["provider"], practitioner=None, service=None)
    assert response.status_code == 302
    assert (settings.gateway, settings.first_time_mandatory, rule.hours_before_visit) == ("autopay", True, 48)
    actions = set(AuditEntry.objects.filter(provider_id=desk["provider"].pk).values_list("action", flat=True))
    assert {"payments.settings", "payments.rule"} <= actions


@pytest.mark.parametrize(
    "change,field,message",
    [
        (
            {"r-amount_kind": "deposit_amount", "r-deposit_amount": "10.555"},
            "deposit_amount",
            "Upewnij się, że liczba ma nie więcej niż 2 cyfry po przecinku.",
        ),
        (
            {"r-amount_kind": "deposit_amount", "r-deposit_amount": "-5"},
            "deposit_amount",
            "Zadatek musi być większy od zera.",
        ),
        (
            {"r-amount_kind": "deposit_amount", "r-deposit_amount": "500.00"},
            "deposit_amount",
            "Zadatek nie może być wyższy niż cena wizyty (150,00 zł).",
        ),
        ({"r-amount_kind": "deposit_amount", "r-deposit_amount": ""}, "deposit_amount", "Podaj kwotę zadatku."),
        ({"r-amount_kind": "deposit_percent"}, "deposit_percent", "Podaj procent ceny (1–100)."),
        (
            {"r-deadline_kind": "by_hour", "r-deadline_hour": ""},
            "deadline_hour",
            "Podaj godzinę, do której trzeba zapłacić.",
        ),
        (
            {"r-deadline_kind": "by_hour", "r-deadline_hour": "24"},
            "deadline_hour",
            "Upewnij się, że ta wartość jest mniejsza lub równa 23.",
        ),
        (
            {"r-deadline_kind": "after_booking", "r-hours_after_booking": ""},
            "hours_after_booking",
            "Podaj, ile godzin od zapisu pacjent ma na płatność.",
        ),
    ],
)
def test_bad_rule_input_gets_a_polish_field_error_and_saves_nothing(client, desk, change, field, message):
    client.force_login(desk["admin"])
    before = PaymentRule.objects.get(provider=desk["provider"], practitioner=None, service=None).updated_at
    response = client.post(reverse("clinic:payment-settings"), {**SETTINGS, **change})
    assert response.status_code == 422
    assert response.context["rule_form"].errors[field] == [message]
    assert PaymentRule.objects.get(provider=desk["provider"], practitioner=None, service=None).updated_at == before


def test_a_practitioner_rule_overrides_and_can_be_removed(client, desk):
    client.force_login(desk["admin"])
    url = reverse("clinic:payment-rule", args=["specjalista", desk["practitioner"].pk])
    page = client.get(url).content.decode()
    assert "Cena wizyty: 150,00 zł." in page
    response = client.post(
        url, {"requirement": "optional", "amount_kind": "deposit_percent", "deposit_percent": "30", "deadline_kind": ""}
    )
    rule = PaymentRule.objects.get(practitioner=desk["practitioner"])
    assert (response.status_code, rule.requirement, rule.deposit_percent) == (302, "optional", 30)
    client.post(url, {"action": "delete"})
    assert PaymentRule.objects.filter(practitioner=desk["practitioner"]).exists() is False


def test_settings_need_the_settings_permission(client, desk):
    client.force_login(desk["registrar"])
    assert client.get(reverse("clinic:payment-settings")).status_code == 403


def test_visit_panel_shows_amount_deadline_status_and_link_history(client, desk):
    client.force_login(desk["registrar"])
    html = client.get(reverse("clinic:visit", args=[desk["held"].pk])).content.decode()
    assert "Płatność online" in html and "150,00 zł" in html and "oczekuje" in html
    assert "wysłano link" in html
    assert "Zwolnij z płatności" not in html  # a registrar lacks "zmiana zasad płatności pojedynczej wizyty"


def test_waiving_from_the_visit_view(client, desk):
    client.force_login(desk["admin"])
    response = client.post(
        reverse("clinic:visit-payment", args=[desk["held"].pk]), {"action": "waive", "reason": "pacjent VIP"}
    )
    desk["held"].refresh_from_db()
    assert response.status_code == 302
    assert (desk["held"].status, Payment.objects.get(appointment=desk["held"]).status) == ("confirmed", "waived")


def test_a_registrar_without_the_permission_cannot_waive(client, desk):
    client.force_login(desk["registrar"])
    response = client.post(
        reverse("clinic:visit-payment", args=[desk["held"].pk]), {"action": "waive", "reason": "VIP"}
    )
    assert response.status_code == 403
    assert Payment.objects.get(appointment=desk["held"]).status == "pending"


def test_a_deadline_after_the_visit_is_refused_with_a_message(client, desk):
    client.force_login(desk["admin"])
    after = (desk["held"].start + dt.timedelta(hours=1)).astimezone(dt.timezone(dt.timedelta(hours=1)))
    response = client.post(
        reverse("clinic:visit-payment", args=[desk["held"].pk]),
        {"action": "deadline", "deadline": after.strftime("%Y-%m-%dT%H:%M"), "resend": "on"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Termin płatności nie może być późniejszy niż początek wizyty."]


def test_resending_the_link_queues_another_message(client, desk):
    client.force_login(desk["admin"])
    client.post(reverse("clinic:visit-payment", args=[desk["held"].pk]), {"action": "resend"})
    assert Message.objects.filter(kind="payment_link").count() == 2


def test_report_filters_by_status_and_exports_xlsx_with_real_dates_and_numbers(client, desk):
    optional = PaymentRule.objects.create(
        provider=desk["provider"], practitioner=desk["practitioner"], requirement="optional"
    )
    confirmed = book_appointment(desk["slots"][1].pk, {**PATIENT, "email": "b@example.com"}, now=FROZEN_NOW)
    optional.delete()
    Payment.objects.filter(appointment=confirmed).update(status="paid", paid_amount=Decimal("150.00"))
    client.force_login(desk["registrar"])
    page = client.get(reverse("clinic:payments"), {"status": "pending"})
    assert [p.appointment_id for p in page.context["page"].object_list] == [desk["held"].pk]
    export = client.get(reverse("clinic:payments-export"), {"status": "paid"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Numer wizyty", "Termin wizyty", "Lekarz")
    assert len(rows) == 2
    assert isinstance(rows[1][1], dt.datetime)
    assert (rows[1][6], rows[1][9], rows[1][11]) == (150, "opłacone", 150)


def test_the_report_needs_the_payments_permission(client, desk, today):
    practitioner_user = make_user("doc", desk["provider"], "practitioner")
    client.force_login(practitioner_user)
    assert client.get(reverse("clinic:payments")).status_code == 403


def test_the_calendar_marks_a_visit_waiting_for_payment(client, desk):
    client.force_login(desk["registrar"])
    day = desk["held"].start.astimezone(dt.timezone(dt.timedelta(hours=1))).date()
    html = client.get(
        reverse("clinic:calendar"), {"lekarz": desk["practitioner"].pk, "dzien": day.isoformat()}
    ).content.decode()
    assert "płatność online: oczekuje" in html


def test_a_desk_booking_that_needs_payment_says_so(client, desk):
    from terminarz.patients.models import Patient

    patient = Patient.objects.create(
        provider=desk["provider"], first_name="Ewa", last_name="Nowa", email="e@example.com"
    )
    client.force_login(desk["registrar"])
    response = client.post(
        reverse("clinic:desk-booking", args=[desk["slots"][3].pk]), {"patient": patient.pk}, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    assert texts[1].startswith("Wizyta wymaga płatności online: zostanie potwierdzona po wpłacie")


def test_changing_one_visits_payment_is_audited(client, desk):
    client.force_login(desk["admin"])
    new = (desk["held"].start - dt.timedelta(hours=3)).astimezone(dt.timezone(dt.timedelta(hours=1)))
    client.post(
        reverse("clinic:visit-payment", args=[desk["held"].pk]),
        {"action": "deadline", "deadline": new.strftime("%Y-%m-%dT%H:%M"), "resend": "on"},
    )
    client.post(reverse("clinic:visit-payment", args=[desk["held"].pk]), {"action": "waive", "reason": "VIP"})
    actions = list(
        AuditEntry.objects.filter(provider_id=desk["provider"].pk, action__startswith="payment.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["payment.pending", "payment.deadline_changed", "payment.link_sent", "payment.waived"]
