import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from terminarz.core.translations import compile_all

Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
# The catalogues as they are now (a .po edited since the last setup is compiled again).
compile_all()

ON_CI = os.environ.get("CI", "").lower() == "true"
# A fixed "now" for tests that need one: Friday 20 Nov 2026, 10:00 in Warsaw.
FROZEN_NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(FROZEN_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def today(frozen) -> dt.date:
    return dt.date(2026, 11, 20)


def require_postgres(connection) -> None:
    if connection.vendor != "postgresql":
        if ON_CI:
            pytest.fail("PostgreSQL is required on CI for this test (set DATABASE_URL)")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _system_scope():
    """Tests set up and read data across tenants, like a system job (core.tenancy). Requests
    made with the test client get their own scope from the middleware and `clinic_view`
    (a provider scope there narrows queries again); tests/core/test_tenancy.py proves that
    nothing tenant-owned is readable outside a scope."""
    from terminarz.core.tenancy import system_scope

    with system_scope():
        yield


@pytest.fixture(autouse=True)
def _requests_without_inherited_scope(monkeypatch):
    """A request made with the test client starts, as in production, with no scope at all:
    the middleware and `clinic_view` must give it one (the tests' own system scope would
    otherwise hide a page that queries tenant data without a scope)."""
    from django.test import Client
    from django_scopes import scope

    original = Client.request

    def request(self, **request):
        with scope(_enabled=True):
            return original(self, **request)

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Search caches facet lookups briefly; every test starts from an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
