"""Portal search refuses what the API refuses, and says so next to the field (never "no slots")."""

import pytest

pytestmark = pytest.mark.django_db

NO_SLOTS = "W tym tygodniu nie ma wolnych terminów dla wybranych kryteriów."
INVALID_SUMMARY = "Popraw parametry wyszukiwania – z takimi nie możemy szukać terminów."

# Fields shown on the form: the error stands next to the field.
VISIBLE = [
    ("provider", "abc", "Nieprawidłowy identyfikator placówki."),
    ("specialization", "x" * 10_000, "Upewnij się, że ta wartość ma co najwyżej 200 znaków (obecnie ma 10000)."),
    ("specialization", "kardio\x00logia", "Znaki null są niedozwolone."),
    ("city", "x" * 10_000, "Upewnij się, że ta wartość ma co najwyżej 100 znaków (obecnie ma 10000)."),
    ("city", "Kra\x00ków", "Znaki null są niedozwolone."),
    ("financing", "bogus", "Wybierz poprawną wartość. bogus nie jest żadną z dostępnych opcji."),
    ("visit_kind", "bogus", "Wybierz poprawną wartość. bogus nie jest żadną z dostępnych opcji."),
    ("date_from", "0001-01-01", "Podaj datę z lat 2000–2100."),
]
# Parameters without a control (links, hand-made URLs): listed above the form with their name.
HIDDEN = [
    ("limit", "-1", "Liczba wyników: Upewnij się, że ta wartość jest większa lub równa 1."),
    ("limit", str(10**9), "Liczba wyników: Upewnij się, że ta wartość jest mniejsza lub równa 100."),
    ("unit", str(10**29), "Poradnia: Nieprawidłowy identyfikator poradni."),
    ("practitioner", "-5", "Lekarz: Nieprawidłowy identyfikator lekarza."),
]
IDS = [
    "provider-abc",
    "specialization-long",
    "specialization-nul",
    "city-long",
    "city-nul",
    "financing-bogus",
    "visit_kind-bogus",
    "date_from-year-1",
]
HIDDEN_IDS = ["limit-negative", "limit-huge", "unit-huge", "practitioner-negative"]


def search(client, field, value):
    other = {"date_to": "2026-12-10"} if field != "date_to" else {"date_from": "2026-12-01"}
    return client.get("/", {field: value, **other})


@pytest.mark.parametrize("field, value, message", VISIBLE, ids=IDS)
def test_invalid_visible_field_is_200(client, field, value, message):
    assert search(client, field, value).status_code == 200


@pytest.mark.parametrize("field, value, message", VISIBLE, ids=IDS)
def test_invalid_visible_field_shows_its_error_next_to_it(client, field, value, message):
    html = search(client, field, value).content.decode()
    assert f'<span class="err" id="{field}-err">{message}</span>' in html


@pytest.mark.parametrize("field, value, message", VISIBLE, ids=IDS)
def test_invalid_visible_field_is_marked_invalid(client, field, value, message):
    html = search(client, field, value).content.decode()
    assert f'aria-invalid="true" aria-describedby="{field}-err"' in html


@pytest.mark.parametrize("field, value, message", HIDDEN, ids=HIDDEN_IDS)
def test_invalid_hidden_parameter_is_200(client, field, value, message):
    assert search(client, field, value).status_code == 200


@pytest.mark.parametrize("field, value, message", HIDDEN, ids=HIDDEN_IDS)
def test_invalid_hidden_parameter_is_listed_with_its_name(client, field, value, message):
    html = search(client, field, value).content.decode()
    assert f"<li>{message}</li>" in html


@pytest.mark.parametrize("field, value, message", VISIBLE + HIDDEN, ids=IDS + HIDDEN_IDS)
def test_invalid_query_does_not_claim_there_are_no_slots(client, field, value, message):
    assert NO_SLOTS not in search(client, field, value).content.decode()


@pytest.mark.parametrize("field, value, message", VISIBLE + HIDDEN, ids=IDS + HIDDEN_IDS)
def test_invalid_query_says_the_search_needs_fixing(client, field, value, message):
    assert INVALID_SUMMARY in search(client, field, value).content.decode()


@pytest.mark.parametrize("field, value, message", VISIBLE + HIDDEN, ids=IDS + HIDDEN_IDS)
def test_invalid_query_keeps_the_other_values(client, field, value, message):
    html = search(client, field, value).content.decode()
    assert 'name="date_to" value="2026-12-10"' in html


def test_valid_hidden_parameter_is_kept_while_the_rest_is_fixed(client):
    html = client.get("/", {"practitioner": "5", "limit": "-1"}).content.decode()
    assert '<input type="hidden" name="practitioner" value="5">' in html


def test_invalid_hidden_parameter_is_dropped_from_the_form(client):
    html = client.get("/", {"practitioner": "5", "limit": "-1"}).content.decode()
    assert 'type="hidden" name="limit"' not in html


def test_valid_query_without_matches_says_no_slots(client):
    html = client.get("/", {"specialization": "kardiologia"}).content.decode()
    assert NO_SLOTS in html


def test_valid_query_shows_no_error_summary(client):
    html = client.get("/", {"specialization": "kardiologia"}).content.decode()
    assert INVALID_SUMMARY not in html
