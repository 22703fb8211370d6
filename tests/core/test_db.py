"""core.db.unprepared: statements whose best plan depends on their values are never prepared."""

import pytest
from django.db import connection

from terminarz.core.db import unprepared
from tests.conftest import require_postgres

PROBE = "SELECT %s::int + 1 AS terminarz_probe"


def _prepared_probes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%terminarz_probe%"])
        return cursor.fetchone()[0]


def _run_probe(times: int) -> None:
    for n in range(times):
        with connection.cursor() as cursor:
            cursor.execute(PROBE, [n])


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_twice_is_prepared_outside_the_block():
    require_postgres(connection)
    _run_probe(3)
    assert _prepared_probes() == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_inside_the_block_it_never_is_and_the_setting_comes_back():
    require_postgres(connection)
    with unprepared():
        _run_probe(8)
    assert _prepared_probes() == 0
    assert connection.connection.prepare_threshold == 2
