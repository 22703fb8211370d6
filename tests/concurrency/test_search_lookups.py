"""A search that runs between a change and its commit cannot keep the old lookups alive
(issue 10 review): two real connections on PostgreSQL."""

import threading

import pytest
from django.db import connection, transaction

from terminarz.scheduling.search import SlotQuery, search_slots
from terminarz.staff.models import Practitioner
from tests.conftest import FROZEN_NOW, require_postgres
from tests.factories import clinic

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_practitioner_hidden_while_someone_searches_is_gone_once_it_commits(today, frozen):
    require_postgres(connection)
    _, _, practitioner, _ = clinic(today=today, days=3)
    query = SlotQuery(specialization="kardiologia")
    assert {s.practitioner_id for s in search_slots(query, now=FROZEN_NOW, limit=5)[0]} == {practitioner.pk}
    saved, go = threading.Event(), threading.Event()

    def hide():
        try:
            with transaction.atomic():
                hidden = Practitioner.objects.get(pk=practitioner.pk)
                hidden.is_visible_online = False
                hidden.save(update_fields=["is_visible_online"])
                saved.set()
                assert go.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=hide)
    worker.start()
    assert saved.wait(10)
    # Between the save and the commit: the lookups are rebuilt from the committed (old) rows.
    assert {s.practitioner_id for s in search_slots(query, now=FROZEN_NOW, limit=5)[0]} == {practitioner.pk}
    go.set()
    worker.join()
    assert search_slots(query, now=FROZEN_NOW, limit=5)[0] == []
