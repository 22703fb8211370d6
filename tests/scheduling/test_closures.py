"""C3: no slots on public holidays and on the provider's closure days; a holiday can be marked
as a working day; booked visits on a day that closes are kept and listed (issue 11 item 10)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from terminarz.booking.errors import SlotTaken
from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic, day_off
from terminarz.core.models import AuditEntry
from terminarz.providers.holidays import closed_days, public_holidays
from terminarz.providers.models import ClosureDay, Provider
from terminarz.scheduling import closures, services
from terminarz.scheduling.editing import add_blocks
from terminarz.scheduling.models import ScheduleBlock, Slot, SlotState
from terminarz.scheduling.search import open_slots
from terminarz.scheduling.services import plan_slots
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db

CHRISTMAS = dt.date(2026, 12, 25)
ORDINARY = dt.date(2026, 12, 2)  # a Wednesday


def free_on(provider, day) -> int:
    return Slot.objects.filter(provider=provider, day=day, state=SlotState.FREE).count()


@pytest.fixture
def december(today, frozen):
    provider, unit, practitioner, schedule = clinic(today=today, days=45)
    return provider, schedule


def test_the_calendar_knows_polish_public_holidays_by_their_polish_names():
    assert public_holidays(dt.date(2026, 12, 20), dt.date(2027, 1, 7)) == {
        dt.date(2026, 12, 24): "Wigilia Bożego Narodzenia",
        dt.date(2026, 12, 25): "Boże Narodzenie (pierwszy dzień)",
        dt.date(2026, 12, 26): "Boże Narodzenie (drugi dzień)",
        dt.date(2027, 1, 1): "Nowy Rok",
        dt.date(2027, 1, 6): "Święto Trzech Króli",
    }


def test_planning_skips_the_days_it_is_told_to_skip():
    from zoneinfo import ZoneInfo

    from terminarz.scheduling.models import ScheduleBlock

    block = ScheduleBlock(pk=1, weekday=2, start_time=dt.time(8), end_time=dt.time(9), slot_minutes=30)
    planned = plan_slots([block], ORDINARY, ORDINARY + dt.timedelta(days=7), ZoneInfo("Europe/Warsaw"))
    skipped = plan_slots(
        [block], ORDINARY, ORDINARY + dt.timedelta(days=7), ZoneInfo("Europe/Warsaw"), skip_days=frozenset({ORDINARY})
    )
    assert ({p.day for p in planned}, {p.day for p in skipped}) == (
        {ORDINARY, ORDINARY + dt.timedelta(days=7)},
        {ORDINARY + dt.timedelta(days=7)},
    )


def test_no_slots_are_made_on_public_holidays(december):
    provider, _ = december
    assert [free_on(provider, day) for day in (dt.date(2026, 12, 24), CHRISTMAS, dt.date(2026, 12, 26))] == [0, 0, 0]
    assert free_on(provider, dt.date(2026, 12, 23)) == 16


def test_a_holiday_marked_as_a_working_day_gets_its_slots_and_loses_them_again(december):
    provider, _ = december
    change = closures.open_holiday(provider, CHRISTMAS, actor=None)
    assert (change.created, free_on(provider, CHRISTMAS)) == (16, 16)
    assert closed_days(provider.pk, CHRISTMAS, CHRISTMAS) == frozenset()
    change = closures.restore_day(provider, CHRISTMAS, actor=None)
    assert (change.deleted, free_on(provider, CHRISTMAS)) == (16, 0)


def test_closing_a_day_removes_free_slots_and_keeps_booked_visits_as_conflicts(december):
    provider, _ = december
    slot = Slot.objects.filter(provider=provider, day=ORDINARY).order_by("start").first()
    visit = book_appointment(slot.pk, PATIENT)
    change = closures.close_day(provider, ORDINARY, reason="Remont", actor=None)
    assert (change.deleted, [s.pk for s in change.conflicts]) == (15, [slot.pk])
    visit.refresh_from_db()
    assert visit.status == "confirmed"
    entry = next(e for e in closures.days_ahead(provider, today=FROZEN_NOW.date()) if e.day == ORDINARY)
    assert (entry.holiday, entry.closed, entry.reason, entry.conflicts) == ("", True, "Remont", 1)
    assert AuditEntry.objects.get(action="closure.closed").changes == {"created": 0, "deleted": 15, "conflicts": 1}


def test_one_providers_closure_leaves_another_provider_alone(december, today):
    provider, _ = december
    other, *_ = clinic(today=today, days=45)
    closures.close_day(provider, ORDINARY, reason="", actor=None)
    assert (free_on(provider, ORDINARY), free_on(other, ORDINARY)) == (0, 16)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda p: closures.close_day(p, dt.date(2026, 11, 19), reason="", actor=None),
            "Nie można zmienić dnia, który już minął.",
        ),
        (
            lambda p: closures.open_holiday(p, ORDINARY, actor=None),
            "Ten dzień nie jest świętem – nie trzeba go oznaczać jako dnia pracy.",
        ),
        (
            lambda p: closures.close_day(p, ORDINARY, reason="x" * 201, actor=None),
            "Powód może mieć najwyżej 200 znaków.",
        ),
        (
            lambda p: closures.close_day(p, dt.date(2028, 1, 3), reason="", actor=None),
            "Dni wolne można ustawiać najwyżej rok naprzód.",
        ),
    ],
)
def test_refused_changes_say_why_and_change_nothing(december, call, message):
    provider, _ = december
    with pytest.raises(closures.ClosureError) as refused:
        call(provider)
    assert refused.value.message == message
    assert ClosureDay.objects.count() == 0


def test_the_back_office_page_lists_holidays_and_marks_a_working_day(client, december):
    provider, _ = december
    client.force_login(make_user("alice", provider, "admin"))
    page = client.get(reverse("clinic:closure-days"))
    assert page.status_code == 200
    assert "Boże Narodzenie (pierwszy dzień)" in page.content.decode()
    response = client.post(reverse("clinic:closure-day-change"), {"action": "open", "day": "2026-12-25"})
    assert response.status_code == 302
    assert free_on(provider, CHRISTMAS) == 16


def test_a_date_that_is_not_one_is_refused_with_the_fields_name(client, december):
    provider, _ = december
    client.force_login(make_user("alice", provider, "admin"))
    response = client.post(reverse("clinic:closure-day-change"), {"action": "close", "day": "31.02.2026"}, follow=True)
    assert "Dzień: Wpisz poprawną datę." in response.content.decode()
    assert ClosureDay.objects.count() == 0


def test_a_practitioner_sees_the_list_but_cannot_change_it(client, december):
    provider, _ = december
    client.force_login(make_user("paul", provider, "practitioner"))
    assert client.get(reverse("clinic:closure-days")).status_code == 200
    response = client.post(reverse("clinic:closure-day-change"), {"action": "open", "day": "2026-12-25"})
    assert response.status_code == 403
    assert free_on(provider, CHRISTMAS) == 0


def test_the_demo_has_no_free_slots_on_holidays_until_one_is_made_a_working_day(frozen):
    call_command("seed_demo", stdout=StringIO())
    demo = Provider.objects.get(slug="przychodnia-demo")
    holidays = [dt.date(2026, 12, 25), dt.date(2026, 12, 26), dt.date(2027, 1, 1), dt.date(2027, 1, 6)]
    assert [free_on(demo, day) for day in holidays] == [0, 0, 0, 0]
    closures.open_holiday(demo, dt.date(2027, 1, 6), actor=None)
    assert free_on(demo, dt.date(2027, 1, 6)) > 0


# Found by the review of this feature.


def test_practitioner_day_off_survives_close_and_restore(december):
    provider, schedule = december
    day_off(schedule, ORDINARY, actor=None)
    assert free_on(provider, ORDINARY) == 0
    closures.close_day(provider, ORDINARY, reason="", actor=None)
    closures.restore_day(provider, ORDINARY, actor=None)
    assert free_on(provider, ORDINARY) == 0, "practitioner's own day off was undone"


def test_cancelled_slot_is_free_again_after_close_and_restore(december):
    provider, schedule = december
    slot = Slot.objects.filter(provider=provider, day=ORDINARY).order_by("start").first()
    visit = book_appointment(slot.pk, PATIENT)
    user = make_user("rejestracja", provider, "registrar")
    cancel_appointment_by_clinic(visit, actor=user, reason="choroba")
    assert free_on(provider, ORDINARY) == 16
    closures.close_day(provider, ORDINARY, reason="", actor=None)
    closures.restore_day(provider, ORDINARY, actor=None)
    assert free_on(provider, ORDINARY) == 16


def test_an_expired_hold_on_a_closed_day_is_not_offered_and_not_a_visit_to_move(december):
    provider, schedule = december
    slot = Slot.objects.filter(provider=provider, day=ORDINARY).order_by("start").first()
    Slot.objects.filter(pk=slot.pk).update(state=SlotState.HELD, hold_until=FROZEN_NOW - dt.timedelta(minutes=1))
    change = closures.close_day(provider, ORDINARY, reason="", actor=None)
    assert change.conflicts == []
    assert open_slots(FROZEN_NOW).filter(day=ORDINARY).count() == 0


def test_an_expired_hold_on_a_closed_day_cannot_be_booked(december):
    provider, schedule = december
    slot = Slot.objects.filter(provider=provider, day=ORDINARY).order_by("start").first()
    Slot.objects.filter(pk=slot.pk).update(state=SlotState.HELD, hold_until=FROZEN_NOW - dt.timedelta(minutes=1))
    closures.close_day(provider, ORDINARY, reason="", actor=None)
    with pytest.raises(SlotTaken):
        book_appointment(slot.pk, PATIENT)


def test_the_horizon_task_clears_slots_made_on_holidays_before_holidays_made_none(today, frozen, monkeypatch):
    monkeypatch.setattr(services, "closed_days", lambda *a: frozenset())
    provider, unit, practitioner, schedule = clinic(today=today, days=45)
    monkeypatch.undo()
    assert free_on(provider, CHRISTMAS) == 16
    services.extend_horizon(today=today + dt.timedelta(days=1))
    assert free_on(provider, CHRISTMAS) == 0


def test_extra_hours_on_a_holiday_make_their_slots(december):
    provider, schedule = december
    block = ScheduleBlock(
        date=CHRISTMAS,
        weekday=CHRISTMAS.weekday(),
        start_time=dt.time(14),
        end_time=dt.time(15),
        slot_minutes=15,
        financing="nfz",
    )
    errors, result = add_blocks(schedule, [block], actor=None, action="schedule.extra_hours", what="x")
    assert errors == []
    assert free_on(provider, CHRISTMAS) == 4
