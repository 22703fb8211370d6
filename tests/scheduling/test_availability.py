"""The compact availability read (issue 10): exactly what the paged search returns for the same
filters and channel rules, per practitioner, in one query; the API answer as documented."""

import datetime as dt
import json
import random

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext

from terminarz.api.v1 import slot_json
from terminarz.booking.services import book_appointment
from terminarz.catalog.models import Specialization
from terminarz.scheduling.availability import availability, offset_stretches
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.search import SlotQuery, search_slots
from terminarz.scheduling.search_page import search_page_json
from terminarz.scheduling.services import generate_slots
from terminarz.staff.models import Practitioner
from tests.conftest import FROZEN_NOW, require_postgres
from tests.factories import PATIENT, clinic, every_day, make_practitioner, make_provider, make_schedule, make_unit

pytestmark = pytest.mark.django_db


def all_pages(query: SlotQuery) -> list[int]:
    ids, cursor = [], None
    while True:
        page, cursor = search_slots(query, now=FROZEN_NOW, limit=100, cursor=cursor)
        ids += [slot.pk for slot in page]
        if cursor is None:
            return ids


@pytest.fixture
def generated(today, frozen):
    """Two providers, practitioners with every kind of block, some slots booked, held with an
    expired and a running hold."""
    rng = random.Random(11)
    kinds = [
        {},
        {"callcenter_only": True},
        {"first_free_only": True},
        {"children": "sick"},
        {"first_visit_only": True},
        {"followup_only": True, "financing": "private"},
        {"televisit": "only"},
    ]
    for p_i, city in enumerate(("Kraków", "Gdańsk")):
        provider = make_provider(name=f"Przychodnia {p_i}", city=city)
        unit = make_unit(provider, name=f"Poradnia {p_i}")
        for n in range(4):
            practitioner = make_practitioner(provider, unit, spec="kardiologia" if n % 2 else "dermatologia")
            if n == 3:
                practitioner.online_booking_for = "payers"
                practitioner.save()
            blocks = every_day(dt.time(12), dt.time(14), **kinds[(p_i * 4 + n) % len(kinds)]) + every_day(
                dt.time(15), dt.time(16), **kinds[(p_i * 4 + n + 1) % len(kinds)]
            )
            schedule = make_schedule(practitioner, unit, valid_from=today, blocks=blocks)
            generate_slots(schedule, start_day=today, end_day=today + dt.timedelta(days=9))
    slots = list(Slot.objects.filter(start__gt=FROZEN_NOW, state=SlotState.FREE).order_by("pk"))
    for slot in rng.sample(slots, 40):
        Slot.objects.filter(pk=slot.pk).update(state=SlotState.BOOKED)
    for slot in rng.sample(slots, 10):
        Slot.objects.filter(pk=slot.pk).update(state=SlotState.HELD, hold_until=FROZEN_NOW - dt.timedelta(minutes=1))
    for slot in rng.sample(slots, 10):
        Slot.objects.filter(pk=slot.pk).update(state=SlotState.HELD, hold_until=FROZEN_NOW + dt.timedelta(minutes=9))
    return today


QUERIES = [
    {},
    {"specialization": "kardiologia"},
    {"city": "Gdańsk"},
    {"financing": "private"},
    {"visit_kind": "first"},
    {"visit_kind": "followup", "specialization": "dermatologia", "city": "Kraków"},
]


@pytest.mark.parametrize("filters", QUERIES, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "all")
def test_availability_returns_exactly_what_search_returns(generated, filters):
    window = {"date_from": generated, "date_to": generated + dt.timedelta(days=9)}
    query = SlotQuery(**filters, **window)
    expected = all_pages(query)
    found = availability(query, now=FROZEN_NOW)
    flat = [slot[0] for p in found.practitioners for slot in p.slots]
    assert sorted(flat) == sorted(expected)
    assert len(flat) == len(set(flat))
    for p in found.practitioners:
        starts = [slot[1] for slot in p.slots]
        assert starts == sorted(starts)
        assert {s.practitioner_id for s in Slot.objects.filter(pk__in=[slot[0] for slot in p.slots])} == {p.id}
    assert found.truncated is False


def test_availability_is_one_query_with_the_lookups_cached(generated):
    query = SlotQuery(specialization="kardiologia", city="Kraków", date_from=generated, date_to=generated)
    availability(query, now=FROZEN_NOW)  # warms the id lookups
    with CaptureQueriesContext(connection) as queries:
        result = availability(query, now=FROZEN_NOW)
    assert len(queries.captured_queries) == 1
    assert result.practitioners != []


def test_a_window_with_more_slots_than_the_cap_says_truncated(generated):
    query = SlotQuery(date_from=generated, date_to=generated + dt.timedelta(days=9))
    everything = availability(query, now=FROZEN_NOW)
    earliest = [(p.id, slot[0]) for p in everything.practitioners for slot in p.slots][:5]
    result = availability(query, now=FROZEN_NOW, max_slots=5)
    assert ([(p.id, slot[0]) for p in result.practitioners for slot in p.slots], result.truncated) == (earliest, True)


def test_api_answer(client, today, frozen):
    _, _, practitioner, schedule = clinic(today=today, days=3, blocks=every_day(dt.time(12), dt.time(13)))
    first = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    book_appointment(first.pk, PATIENT)
    response = client.get(
        "/api/v1/availability", {"date_from": today.isoformat(), "date_to": (today + dt.timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["slot_fields"] == ["id", "start", "end", "unit", "financing", "televisit"]
    assert body["truncated"] is False
    [entry] = body["practitioners"]
    assert (entry["id"], entry["name"]) == (practitioner.pk, practitioner.full_name)
    assert len(entry["slots"]) == 7  # 4 a day, the first one booked
    assert entry["slots"][0] == [
        first.pk + 1,
        "2026-11-20T12:15:00+01:00",
        "2026-11-20T12:30:00+01:00",
        first.unit_id,
        "nfz",
        "no",
    ]


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"date_to": "2026-11-21"}, "date_from", "Podaj datę początkową."),
        ({"date_from": "2026-11-20", "date_to": "2026-12-31"}, "date_to", "Zakres dat może obejmować najwyżej 31 dni."),
        (
            {"date_from": "2026-11-20", "date_to": "2026-11-21", "financing": "x"},
            "financing",
            "Wybierz poprawną wartość. x nie jest żadną z dostępnych opcji.",
        ),
    ],
)
def test_api_refuses_bad_windows_with_the_forms_words(client, params, field, message):
    response = client.get("/api/v1/availability", params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {field: [message]}


def test_a_visibility_change_reaches_the_cached_lookups_at_once(generated):
    query = SlotQuery(specialization="kardiologia", date_from=generated, date_to=generated + dt.timedelta(days=9))
    before = {p.id for p in availability(query, now=FROZEN_NOW).practitioners}
    hidden = Slot.objects.get(pk=availability(query, now=FROZEN_NOW).practitioners[0].slots[0][0]).practitioner
    hidden.is_visible_online = False
    hidden.save(update_fields=["is_visible_online"])
    after = {p.id for p in availability(query, now=FROZEN_NOW).practitioners}
    assert after == before - {hidden.pk}


def test_renaming_a_specialization_reaches_the_cached_lookups_at_once(generated):
    query = SlotQuery(specialization="Kardiologia dziecięca", date_from=generated, date_to=generated)
    assert availability(query, now=FROZEN_NOW).practitioners == []
    specialization = Specialization.objects.get(code="kardiologia")
    specialization.name = "Kardiologia dziecięca"
    specialization.save(update_fields=["name"])
    assert availability(query, now=FROZEN_NOW).practitioners != []


@pytest.mark.parametrize("filters", QUERIES, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "all")
def test_paged_search_walks_the_same_order_as_one_sorted_query(generated, filters, monkeypatch):
    """The pages of a search over several practitioners are read as a top-n per practitioner
    (LATERAL on PostgreSQL, UNION ALL on SQLite); every page, cursor after cursor, equals the
    plain sorted query."""
    from terminarz.scheduling import search

    used = []
    original = search._top_n_page_sql
    monkeypatch.setattr(search, "_top_n_page_sql", lambda *a, **kw: used.append(1) or original(*a, **kw))
    query = SlotQuery(**filters, date_from=generated, date_to=generated + dt.timedelta(days=9))
    sorted_ids = list(
        search.open_slot_query(query, now=FROZEN_NOW).order_by("start", "pk").values_list("pk", flat=True)
    )
    assert all_pages(query) == sorted_ids
    practitioner_ids = search._matching_ids(query)[0]
    assert bool(used) is (practitioner_ids is not None and len(practitioner_ids) > 1)


def test_a_search_page_is_three_queries_with_the_lookups_cached(generated):
    query = SlotQuery(specialization="kardiologia", city="Kraków", date_from=generated)
    search_slots(query, now=FROZEN_NOW, limit=5)  # warms the id lookups
    with CaptureQueriesContext(connection) as queries:
        page, _cursor = search_slots(query, now=FROZEN_NOW, limit=5)
    # page ids, their rows with practitioner and unit, the practitioners' specializations
    assert len(queries.captured_queries) == 3
    assert len(page) == 5


def test_summer_times_carry_the_summer_offset(client):
    import time_machine

    with time_machine.travel(dt.datetime(2027, 7, 1, 6, 0, tzinfo=dt.UTC), tick=False):
        clinic(today=dt.date(2027, 7, 1), days=1, blocks=every_day(dt.time(12), dt.time(13)))
        body = client.get("/api/v1/availability", {"date_from": "2027-07-01", "date_to": "2027-07-01"}).json()
    assert body["practitioners"][0]["slots"][0][1:3] == ["2027-07-01T12:00:00+02:00", "2027-07-01T12:15:00+02:00"]


def test_names_are_escaped_in_the_json(client, today, frozen):
    _, _, practitioner, _ = clinic(today=today, days=1, blocks=every_day(dt.time(12), dt.time(13)))
    practitioner.last_name = 'O"Brien \\ </script>'
    practitioner.save(update_fields=["last_name"])
    body = client.get("/api/v1/availability", {"date_from": today.isoformat(), "date_to": today.isoformat()}).json()
    assert body["practitioners"][0]["name"] == practitioner.full_name


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (dt.date(2026, 12, 1), dt.date(2026, 12, 14), [(None, dt.timedelta(hours=1))]),
        (dt.date(2027, 7, 1), dt.date(2027, 7, 31), [(None, dt.timedelta(hours=2))]),
        (
            dt.date(2027, 3, 20),
            dt.date(2027, 4, 2),
            [(None, dt.timedelta(hours=1)), (dt.datetime(2027, 3, 28, 1, tzinfo=dt.UTC), dt.timedelta(hours=2))],
        ),
        (
            dt.date(2027, 10, 31),
            dt.date(2027, 10, 31),
            [(None, dt.timedelta(hours=2)), (dt.datetime(2027, 10, 31, 1, tzinfo=dt.UTC), dt.timedelta(hours=1))],
        ),
    ],
)
def test_the_window_is_cut_where_summer_time_starts_or_ends(date_from, date_to, expected):
    assert offset_stretches(date_from, date_to) == expected


def test_times_on_both_sides_of_the_change_from_summer_time_carry_their_offset(client):
    import time_machine

    with time_machine.travel(dt.datetime(2027, 10, 28, 6, 0, tzinfo=dt.UTC), tick=False):
        clinic(today=dt.date(2027, 10, 28), days=4, blocks=every_day(dt.time(12), dt.time(13)))
        body = client.get("/api/v1/availability", {"date_from": "2027-10-29", "date_to": "2027-10-31"}).json()
    firsts: dict[str, list[str]] = {}
    for slot in body["practitioners"][0]["slots"]:  # earliest first
        firsts.setdefault(slot[1][:10], slot[1:3])
    assert firsts == {
        "2027-10-29": ["2027-10-29T12:00:00+02:00", "2027-10-29T12:15:00+02:00"],
        "2027-10-30": ["2027-10-30T12:00:00+02:00", "2027-10-30T12:15:00+02:00"],
        "2027-10-31": ["2027-10-31T12:00:00+01:00", "2027-10-31T12:15:00+01:00"],
    }


@pytest.mark.postgres
@pytest.mark.parametrize("filters", QUERIES, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "all")
def test_the_page_postgresql_writes_equals_the_page_built_from_models(generated, filters):
    """The API's search page written by the database (scheduling.search_page) holds exactly the
    items and cursors `search_slots` + `slot_json` give, page after page."""
    require_postgres(connection)
    query = SlotQuery(**filters, date_from=generated, date_to=generated + dt.timedelta(days=9))
    cursor, pages = None, 0
    while True:
        written = search_page_json(query, now=FROZEN_NOW, limit=7, cursor=cursor)
        assert written is not None
        text, next_cursor = written
        slots, expected_cursor = search_slots(query, now=FROZEN_NOW, limit=7, cursor=cursor)
        expected = json.loads(json.dumps([slot_json(s) for s in slots], cls=DjangoJSONEncoder))
        assert (json.loads(text), next_cursor) == (expected, expected_cursor)
        pages += 1
        if next_cursor is None:
            break
        cursor = next_cursor
    assert pages > 1


def test_elsewhere_the_api_builds_the_page_from_models(generated):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's path")
    assert search_page_json(SlotQuery(date_from=generated), now=FROZEN_NOW, limit=5) is None


@pytest.mark.postgres
def test_an_api_search_page_is_one_statement_with_the_lookups_cached(client, generated):
    require_postgres(connection)
    params = {"specialization": "kardiologia", "city": "Kraków", "date_from": generated.isoformat(), "limit": 5}
    client.get("/api/v1/slots", params)  # warms the id lookups
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/slots", params).json()
    assert len(queries.captured_queries) == 1
    assert len(body["items"]) == 5


def test_on_sqlite_more_practitioners_than_a_compound_select_takes_read_the_plain_way(generated, monkeypatch):
    from terminarz.scheduling import search

    if connection.vendor == "postgresql":
        pytest.skip("SQLite's limit")
    query = SlotQuery(date_from=generated, date_to=generated + dt.timedelta(days=9), specialization="kardiologia")
    cardiologists = sorted(
        Practitioner.objects.filter(search.BOOKABLE_ONLINE, specializations__code="kardiologia").values_list(
            "pk", flat=True
        )
    )
    assert search._matching_ids(query)[0] == cardiologists  # several: the UNION ALL form applies
    assert len(cardiologists) == 2
    union_pages = all_pages(query)
    monkeypatch.setattr(search, "UNION_MAX_PRACTITIONERS", 1)
    assert all_pages(query) == union_pages
    assert search._top_n_page_sql(search.open_slot_query(query, now=FROZEN_NOW), [1, 2], 5) is None
