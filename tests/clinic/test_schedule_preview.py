"""The schedule editor's preview (issue 11 item 4): what saving would do to the slots, shown
before anything is written."""

import pytest
from django.urls import reverse

from terminarz.booking.services import book_appointment
from terminarz.scheduling.models import Schedule, ScheduleBlock, Slot
from tests.clinic import test_schedules
from tests.clinic.test_access import make_user
from tests.clinic.test_schedules import block, create, schedule_post
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT

pytestmark = pytest.mark.django_db
editor = test_schedules.editor  # the schedule editor's fixture: a provider, unit, practitioner and admin


def test_the_preview_counts_new_and_removed_slots_and_writes_nothing(client, editor):
    # Monday 08:00–10:00 in 20-minute slots: 6 a Monday.
    assert create(client, editor, block(0, 0, "08:00", "10:00")).status_code == 302
    schedule = Schedule.objects.get()
    monday = ScheduleBlock.objects.get(schedule=schedule)
    slots_before = Slot.objects.filter(schedule=schedule).count()
    mondays = Slot.objects.filter(schedule=schedule).values("day").distinct().count()
    visit = book_appointment(
        Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").last().pk, PATIENT
    )
    # Monday shortened to 08:00–09:00 (3 slots fewer each Monday), Wednesday 12:00–13:00 added.
    changed = {**block(0, 0, "08:00", "09:00"), "bloki-0-id": monday.pk, "bloki-0-schedule": schedule.pk}
    data = schedule_post(editor["practitioner"], editor["unit"], changed, block(1, 2, "12:00", "13:00"), initial=1)
    response = client.post(reverse("clinic:schedule", args=[schedule.pk]), {**data, "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Podgląd zmian (nic jeszcze nie zapisano)" in html
    # 20 Nov 2026 – 17 Feb 2027: 13 Mondays, 13 Wednesdays of which 6 January (Epiphany) makes none.
    assert mondays == 13
    assert "Od 20 listopada do 17 lutego 2027:" in html
    assert "nowe terminy: 36" in html
    assert "usunięte wolne terminy: 38" in html  # 13 × 3, less the last Monday's 09:40: booked
    assert "bez zmian: 39" in html
    assert "<tr><td>poniedziałek</td><td>0</td><td>38</td></tr><tr><td>środa</td><td>36</td><td>0</td></tr>" in html
    assert f"({visit.reference})" in html
    # Nothing written.
    assert Slot.objects.filter(schedule=schedule).count() == slots_before
    assert ScheduleBlock.objects.get(schedule=schedule).end_time.hour == 10


def test_the_preview_names_patients_only_to_who_may_see_that_calendar(client, editor):
    """A practitioner allowed to edit schedules but not to see colleagues' calendars previews a
    colleague's schedule: the visits that would fall outside are times, not patients."""
    assert create(client, editor, block(0, 0, "08:00", "10:00")).status_code == 302
    schedule = Schedule.objects.get()
    monday = ScheduleBlock.objects.get(schedule=schedule)
    visit = book_appointment(
        Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first().pk,
        {**PATIENT, "last_name": "Cudza"},
    )
    other = make_user("lekarz", editor["provider"], "practitioner", granted=["schedules.change"])
    client.force_login(other)
    assert client.get(reverse("clinic:calendar"), {"lekarz": editor["practitioner"].pk}).status_code == 404
    removed = {**block(0, 0, "08:00", "10:00"), "bloki-0-id": monday.pk, "bloki-0-schedule": schedule.pk}
    removed["bloki-0-DELETE"] = "on"
    data = schedule_post(editor["practitioner"], editor["unit"], removed, initial=1)
    html = client.post(reverse("clinic:schedule", args=[schedule.pk]), {**data, "action": "preview"}).content.decode()
    assert "Te wizyty znajdą się poza harmonogramem" in html
    assert "Cudza" not in html and visit.reference not in html
    assert "dane pacjenta widzi tylko osoba z dostępem do terminarza tego lekarza" in html
