"""A4: "Włącz tryb demo" (3 months, once), the operator's 12-month subscription, the quota of
schedules published online (refused beyond it, with the sentence the registrar sees), expiry
switching online registration off by itself (bookings made stay), the 14- and 3-day warnings,
"Wykaz umów", and every transition of the subscription's machine."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment
from terminarz.core.statemachine import TransitionRefused
from terminarz.notifications.models import Message
from terminarz.notifications.services import render_message
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Schedule, Slot
from terminarz.subscriptions import services
from terminarz.subscriptions.machines import SUBSCRIPTION
from terminarz.subscriptions.models import Subscription, SubscriptionStatus
from tests.clinic.test_access import make_user
from tests.clinic.test_schedules import block, schedule_post
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, make_practitioner, make_provider, make_unit

pytestmark = pytest.mark.django_db
S = SubscriptionStatus
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def office(client, frozen):
    provider = make_provider(subscribed=False)
    provider.email = "recepcja@example.com"
    provider.save()
    unit = make_unit(provider)
    admin = make_user("kierownik", provider, "admin")
    client.force_login(admin)
    return {"provider": provider, "unit": unit, "admin": admin}


def publish(client, office, name: str):
    practitioner = make_practitioner(office["provider"], office["unit"], last_name=name)
    return client.post(
        reverse("clinic:schedule-create"), schedule_post(practitioner, office["unit"], block(0, 0, "08:00", "10:00"))
    )


def test_the_machine_allows_exactly_these_transitions():
    assert SUBSCRIPTION.allowed("") == {S.ORDERED, S.ACTIVE}
    assert SUBSCRIPTION.allowed(S.ORDERED) == {S.PAID, S.CANCELLED}
    assert SUBSCRIPTION.allowed(S.PAID) == {S.ACTIVE}
    assert SUBSCRIPTION.allowed(S.ACTIVE) == {S.EXPIRED}
    assert [SUBSCRIPTION.allowed(s) for s in (S.EXPIRED, S.CANCELLED)] == [set(), set()]


@pytest.mark.parametrize(
    ("start", "target"),
    [(S.ACTIVE, S.PAID), (S.EXPIRED, S.ACTIVE), (S.CANCELLED, S.PAID), (S.ORDERED, S.ACTIVE), (S.PAID, S.EXPIRED)],
)
def test_refused_transitions(office, start, target):
    subscription = Subscription.objects.create(
        provider=office["provider"], kind="full", quantity=1, status=start, ordered_at=FROZEN_NOW
    )
    with pytest.raises(TransitionRefused):
        SUBSCRIPTION.move(subscription, target)


def test_without_a_subscription_nothing_is_published_and_online_registration_stays_off(client, office):
    refused = publish(client, office, "Pierwszy")
    assert refused.context["form"].errors["is_published_online"] == [
        "Rejestracja on-line nie jest włączona, więc terminarza nie można opublikować. "
        "Włącz tryb demo albo kup abonament w Ustawienia → Abonament rejestracji on-line."
    ]
    assert Schedule.objects.filter(provider=office["provider"]).count() == 0
    settings = settings_for(office["provider"].pk)
    settings.online_registration = False
    settings.save()
    turned_on = client.post(reverse("clinic:registration-settings"), {"online_registration": "on", "hold_minutes": 30})
    assert turned_on.context["form"].errors["online_registration"] == [
        "Włącz tryb demo albo kup abonament, aby włączyć rejestrację on-line."
    ]


def test_the_demo_mode_runs_three_months_once_and_limits_published_schedules(client, office):
    page = client.get(reverse("clinic:subscription")).content.decode()
    assert "Włącz tryb demo" in page and "brak aktywnej umowy" in page
    bad = client.post(reverse("clinic:subscription"), {"action": "demo", "demo-quantity": "0"})
    assert bad.context["demo_form"].errors == {"quantity": ["Upewnij się, że ta wartość jest większa lub równa 1."]}
    on = client.post(reverse("clinic:subscription"), {"action": "demo", "demo-quantity": "2"}, follow=True)
    assert [str(m) for m in on.context["messages"]] == ["Tryb demo włączony na 3 miesiące. Rejestracja on-line działa."]
    demo = Subscription.objects.get(provider=office["provider"])
    assert (demo.kind, demo.status, demo.valid_from, demo.valid_to, demo.quantity) == (
        "demo",
        S.ACTIVE,
        TODAY,
        dt.date(2027, 2, 20),
        2,
    )
    assert settings_for(office["provider"].pk).online_registration is True
    assert publish(client, office, "Pierwszy").status_code == 302
    assert publish(client, office, "Drugi").status_code == 302
    third = publish(client, office, "Trzeci")
    assert third.context["form"].errors["is_published_online"] == [
        "Abonament obejmuje 2 terminarze publikowane online i wszystkie są już wykorzystane. "
        "Wyłącz publikację innego terminarza albo zamów abonament na większą „Ilość”."
    ]
    unpublished = client.post(
        reverse("clinic:schedule-create"),
        schedule_post(
            make_practitioner(office["provider"], office["unit"], last_name="Czwarty"),
            office["unit"],
            block(0, 1, "08:00", "10:00"),
            unpublish=True,
        ),
    )
    assert unpublished.status_code == 302  # a schedule not published online takes no place
    first = Schedule.objects.filter(provider=office["provider"], is_published_online=True).first()
    edited = client.post(
        reverse("clinic:schedule", args=[first.pk]),
        schedule_post(first.practitioner, office["unit"], block(0, 0, "08:00", "11:00"), description="Zmieniony"),
    )
    assert edited.status_code == 302  # editing a published one does not count it twice
    listed = client.get(reverse("clinic:subscription"))
    assert listed.context["published"] == 2
    assert [c.pk for c in listed.context["contracts"]] == [demo.pk]
    assert "2 z 2" in listed.content.decode()
    with pytest.raises(services.SubscriptionError) as again:
        services.enable_demo(office["provider"], quantity=1, actor=None)
    assert again.value.message == "Tryb demo można włączyć tylko raz. Kup abonament, aby dalej korzystać z usługi."


def test_expiry_switches_online_registration_off_and_keeps_the_bookings(client, office, frozen):
    provider = office["provider"]
    services.enable_demo(provider, quantity=3, actor=None)
    assert publish(client, office, "Pierwszy").status_code == 302
    slot = Slot.objects.filter(provider=provider, start__gt=FROZEN_NOW).order_by("start").first()
    visit = book_appointment(slot.pk, PATIENT)
    frozen.move_to(dt.datetime(2027, 2, 20, 12, 0, tzinfo=dt.UTC))
    assert services.expire_due() == 0  # valid through its last day
    frozen.move_to(dt.datetime(2027, 2, 21, 8, 0, tzinfo=dt.UTC))
    assert services.expire_due() == 1
    assert services.expire_due() == 0
    assert Subscription.objects.get(provider=provider).status == S.EXPIRED
    assert settings_for(provider.pk).online_registration is False
    assert Appointment.objects.get(pk=visit.pk).status == "confirmed"
    _subject, body, _html = render_message(Message.objects.get(kind="subscription_expired"))
    assert "Rejestracja on-line została wyłączona" in body


def test_the_admin_is_warned_14_and_3_days_before_once_each(office, frozen):
    services.enable_demo(office["provider"], quantity=1, actor=None)  # valid to 20.02.2027
    frozen.move_to(dt.datetime(2027, 2, 5, 9, 0, tzinfo=dt.UTC))
    assert services.send_warnings() == 0
    frozen.move_to(dt.datetime(2027, 2, 6, 9, 0, tzinfo=dt.UTC))
    assert (services.send_warnings(), services.send_warnings()) == (1, 0)
    frozen.move_to(dt.datetime(2027, 2, 17, 9, 0, tzinfo=dt.UTC))
    assert (services.send_warnings(), services.send_warnings()) == (1, 0)
    warnings = [render_message(m) for m in Message.objects.filter(kind="subscription_expiring").order_by("pk")]
    assert [subject for subject, _body, _html in warnings] == [
        "Abonament rejestracji on-line wygasa 20.02.2027",
        "Abonament rejestracji on-line wygasa 20.02.2027",
    ]
    assert "jest ważna do 20.02.2027" in warnings[0][1]


def test_the_operator_grants_twelve_months_replacing_the_demo(office, frozen):
    operator = get_user_model().objects.create_user("operator", password="x", is_staff=True)
    demo = services.enable_demo(office["provider"], quantity=1, actor=None)
    full = services.grant(office["provider"], quantity=5, actor=operator)
    demo.refresh_from_db()
    assert (demo.status, full.status, full.valid_to, full.amount) == (
        S.EXPIRED,
        S.ACTIVE,
        dt.date(2027, 11, 20),
        services.price_per_schedule() * 5,
    )
    with pytest.raises(services.SubscriptionError):
        services.grant(office["provider"], quantity=501, actor=operator)


def test_a_past_schedule_extended_into_the_future_asks_the_quota_too(client, office):
    services.enable_demo(office["provider"], quantity=1, actor=None)
    assert publish(client, office, "Pierwszy").status_code == 302
    practitioner = make_practitioner(office["provider"], office["unit"], last_name="Przeszly")
    past = schedule_post(practitioner, office["unit"], block(0, 0, "08:00", "10:00"))
    past.update({"valid_from": "2026-11-01", "valid_to": "2026-11-02"})
    assert client.post(reverse("clinic:schedule-create"), past).status_code == 302  # over: takes no place
    old = Schedule.objects.get(practitioner=practitioner)
    extended = schedule_post(practitioner, office["unit"], block(0, 0, "08:00", "10:00"))
    extended.update({"valid_from": "2026-11-01", "valid_to": ""})
    refused = client.post(reverse("clinic:schedule", args=[old.pk]), extended)
    assert refused.context["form"].errors["is_published_online"][0].startswith("Abonament obejmuje 1 terminarz")
    old.refresh_from_db()
    assert old.valid_to == dt.date(2026, 11, 2)


def test_a_subscription_smaller_than_what_is_published_is_refused(client, office):
    services.enable_demo(office["provider"], quantity=2, actor=None)
    publish(client, office, "Pierwszy")
    publish(client, office, "Drugi")
    with pytest.raises(services.SubscriptionError) as smaller:
        services.order(office["provider"], quantity=1, actor=None)
    assert smaller.value.errors == {
        "quantity": [
            "Online jest teraz opublikowane 2 terminarze – „Ilość” nie może być mniejsza. "
            "Najpierw wyłącz publikację nadmiarowych terminarzy."
        ]
    }
    order = services.order(office["provider"], quantity=2, actor=None)
    services.choose_invoice(order, wanted=False)
    Subscription.objects.filter(pk=order.pk).update(session_id="TZA1XAB")  # a payment under way
    with pytest.raises(services.SubscriptionError) as busy:
        services.order(office["provider"], quantity=3, actor=None)
    assert busy.value.message.startswith("Poprzednie zamówienie czeka na płatność.")


def test_renewing_a_running_paid_subscription_starts_after_it_ends(office, frozen):
    operator = get_user_model().objects.create_user("operator", password="x", is_staff=True)
    first = services.grant(office["provider"], quantity=2, actor=operator)
    assert (first.valid_from, first.valid_to) == (TODAY, dt.date(2027, 11, 20))
    frozen.move_to(dt.datetime(2027, 11, 6, 9, 0, tzinfo=dt.UTC))  # the 14-day warning came
    renewal = services.grant(office["provider"], quantity=3, actor=operator)
    first.refresh_from_db()
    assert (first.status, renewal.status, renewal.valid_from, renewal.valid_to, renewal.quantity) == (
        S.EXPIRED,
        S.ACTIVE,
        dt.date(2027, 11, 21),
        dt.date(2028, 11, 21),
        3,
    )
