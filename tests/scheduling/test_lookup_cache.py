"""Search's cached id lookups stay true under concurrent changes (issue 10 review)."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import transaction

from terminarz.providers.models import settings_for
from terminarz.scheduling import search
from terminarz.scheduling.search import InvalidCursor, closed_provider_ids, decode_cursor
from tests.factories import clinic


@pytest.mark.django_db
def test_a_lost_version_starts_again_from_a_value_not_used_before(today):
    used = set()
    for _ in range(20):
        used.add(search.lookup_version())
        cache.delete(search.VERSION_KEY)  # evicted
    assert len(used) == 20


@pytest.mark.django_db
def test_the_closed_providers_list_follows_a_settings_change(today):
    """A list read before a change is never served after it: the change bumps the version."""
    provider, *_ = clinic(today=today, days=1)
    assert closed_provider_ids() == []
    registration = settings_for(provider.pk)
    registration.online_registration = False
    registration.save()
    assert closed_provider_ids() == [provider.pk]


@pytest.mark.django_db(transaction=True)
def test_the_lookups_are_dropped_again_when_the_change_commits(today):
    """A search between a change and its commit reads the old rows; the bump at commit makes
    what it cached unreachable (the version differs)."""
    provider, *_ = clinic(today=today, days=1)
    with transaction.atomic():
        provider.name = "Przychodnia Zmieniona"
        provider.save(update_fields=["name"])
        during = search.lookup_version()  # a concurrent search would cache under this one
    assert search.lookup_version() != during


@pytest.mark.parametrize("pk", [0, -7_203_914_551, 2**63])
def test_a_cursor_with_an_id_no_row_can_have_is_refused(pk):
    import base64
    import json

    raw = base64.urlsafe_b64encode(json.dumps([dt.datetime(2026, 11, 20, tzinfo=dt.UTC).isoformat(), pk]).encode())
    with pytest.raises(InvalidCursor):
        decode_cursor(raw.decode().rstrip("="))
