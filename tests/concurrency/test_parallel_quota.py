"""A4 on PostgreSQL with one connection per thread: a subscription with one place left and two
schedules published at the same moment. The guard locks the provider row, so exactly one is
published and the other is refused with the quota's sentence; the count never exceeds the
quantity."""

import datetime as dt

import pytest
from django.db import connection

from terminarz.clinic.schedule_views import BlockFormSet
from terminarz.core import clock
from terminarz.scheduling.editing import save_schedule
from terminarz.scheduling.models import Schedule
from terminarz.scheduling.publication import PublicationRefused
from terminarz.subscriptions import services
from tests.concurrency.parallel import run_lined_up
from tests.conftest import require_postgres
from tests.factories import make_practitioner, make_provider, make_unit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_publications_for_the_last_place_publish_one():
    require_postgres(connection)
    provider = make_provider(subscribed=False)
    unit = make_unit(provider)
    services.enable_demo(provider, quantity=1, actor=None)
    candidates = [
        Schedule(
            provider=provider,
            practitioner=make_practitioner(provider, unit, last_name=f"Lekarz{i}"),
            unit=unit,
            valid_from=clock.local_today() + dt.timedelta(days=1),
            is_published_online=True,
        )
        for i in range(2)
    ]

    def publish(schedule):
        empty = {
            "bloki-TOTAL_FORMS": 0,
            "bloki-INITIAL_FORMS": 0,
            "bloki-MIN_NUM_FORMS": 0,
            "bloki-MAX_NUM_FORMS": 1000,
        }
        formset = BlockFormSet(empty, instance=schedule, prefix="bloki", form_kwargs={"provider": provider})
        assert formset.is_valid()
        return save_schedule(schedule, formset, actor=None)

    outcomes = run_lined_up([lambda s=s: publish(s) for s in candidates])
    refused = [o for o in outcomes if isinstance(o, PublicationRefused)]
    assert len(refused) == 1
    assert refused[0].message.startswith("Abonament obejmuje 1 terminarz publikowany online")
    assert Schedule.objects.filter(provider=provider, is_published_online=True).count() == 1
