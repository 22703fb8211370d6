"""waiting.machines: every status write of waiting-list entries, offers and NFZ queue entries
goes through its machine – each allowed transition is written and recorded, each refused one
raises `TransitionRefused` with a Polish message (shown in the back-office) and changes nothing."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment, cancel_appointment_by_patient
from terminarz.core.models import AuditEntry, StateTransition
from terminarz.core.statemachine import TransitionRefused
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Slot
from terminarz.waiting import services
from terminarz.waiting.machines import ENTRY, OFFER, QUEUE, expire_due_offers
from terminarz.waiting.models import QueueEntry, WaitlistEntry, WaitlistOffer
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db
E, O, Q = WaitlistEntry.Status, WaitlistOffer.Status, QueueEntry.Status  # noqa: E741
GUEST = {
    "first_name": "Ala",
    "last_name": "Czekająca",
    "email": "ala@example.com",
    "phone": "",
    "pesel": "",
    "note": "",
}


def transitions(obj) -> list[tuple[str, str, str]]:
    return [(t.from_state, t.to_state, t.actor_label) for t in ENTRY.history(obj)]


@pytest.fixture
def world(today):
    provider, unit, practitioner, schedule = clinic(today=today, days=2)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    return {"provider": provider, "unit": unit, "practitioner": practitioner, "slots": slots}


@pytest.fixture
def entry(world):
    return services.join_waitlist(
        world["provider"],
        practitioner=world["practitioner"],
        data={"first_name": "Ala", "last_name": "Czekająca", "email": "ala@example.com"},
    )


@pytest.fixture
def registrar(client, world):
    user = make_user("rachel", world["provider"], "registrar")
    client.force_login(user)
    return user


def offered(world, *names: str, django_capture_on_commit_callbacks) -> list[WaitlistOffer]:
    """All slots booked, `names` on the waiting list, one visit cancelled: its slot is offered."""
    visits = [book_appointment(s.pk, {**PATIENT, "email": f"p{i}@example.com"}) for i, s in enumerate(world["slots"])]
    for name in names:
        services.join_waitlist(
            world["provider"],
            practitioner=world["practitioner"],
            data={"first_name": name, "last_name": "X", "email": f"{name.lower()}@example.com"},
        )
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(visits[2].pk, visits[2].cancel_token)
    return list(WaitlistOffer.objects.select_related("entry").order_by("pk"))


# -- waiting-list entries ------------------------------------------------------------------


def test_joining_records_the_entry_as_waiting(entry):
    assert transitions(entry) == [("", "waiting", "patient")]


def test_entry_waiting_to_cancelled_by_the_link(client, entry):
    client.post(reverse("waitlist-entry", args=[entry.pk]), {"t": entry.token})
    entry.refresh_from_db()
    assert entry.status == E.CANCELLED
    assert transitions(entry)[-1] == ("waiting", "cancelled", "patient")


def test_entry_leaving_twice_changes_nothing_more(client, entry):
    services.leave_waitlist(entry)
    services.leave_waitlist(WaitlistEntry.objects.get(pk=entry.pk))
    assert WaitlistEntry.objects.get(pk=entry.pk).status == E.CANCELLED
    assert len(transitions(entry)) == 2


def test_entry_waiting_to_cancelled_by_the_back_office(client, entry, registrar):
    response = client.post(reverse("clinic:waitlist-remove", args=[entry.pk]), follow=True)
    assert "Usunięto wpis z listy rezerwowej." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == E.CANCELLED
    record = StateTransition.objects.get(object_id=str(entry.pk), to_state="cancelled")
    assert (record.from_state, record.actor) == ("waiting", registrar)
    assert AuditEntry.objects.filter(action="waitlist.removed", object_id=str(entry.pk)).count() == 1


def test_entry_cancelled_cannot_be_removed_again(client, entry, registrar):
    services.leave_waitlist(entry)
    response = client.post(reverse("clinic:waitlist-remove", args=[entry.pk]), follow=True)
    assert (
        "Nie można zmienić statusu wpisu na listę rezerwową z „zrezygnował” na „zrezygnował”."
        in response.content.decode()
    )
    assert AuditEntry.objects.filter(action="waitlist.removed").count() == 0


def test_entry_booked_cannot_be_removed_by_the_back_office(entry, registrar):
    ENTRY.move(entry, E.BOOKED, actor_label="patient")
    with pytest.raises(TransitionRefused) as refused:
        services.remove_from_waitlist(entry, actor=registrar)
    assert refused.value.message == "Nie można zmienić statusu wpisu na listę rezerwową z „umówiony” na „zrezygnował”."
    assert WaitlistEntry.objects.get(pk=entry.pk).status == E.BOOKED


def test_entry_booked_is_not_cancelled_by_the_link(entry):
    ENTRY.move(entry, E.BOOKED, actor_label="patient")
    services.leave_waitlist(entry)
    assert WaitlistEntry.objects.get(pk=entry.pk).status == E.BOOKED


def test_entry_cancelled_cannot_be_booked(entry):
    services.leave_waitlist(entry)
    with pytest.raises(TransitionRefused) as refused:
        ENTRY.move(entry, E.BOOKED)
    assert refused.value.message == "Nie można zmienić statusu wpisu na listę rezerwową z „zrezygnował” na „umówiony”."


# -- offers --------------------------------------------------------------------------------


def test_offer_created_as_offered(world, django_capture_on_commit_callbacks):
    (offer,) = offered(world, "Ala", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    assert [(t.from_state, t.to_state) for t in OFFER.history(offer)] == [("", "offered")]


def test_offer_e_mail_and_sms_queued_once_each(world, django_capture_on_commit_callbacks):
    visits = [book_appointment(s.pk, {**PATIENT, "email": f"p{i}@example.com"}) for i, s in enumerate(world["slots"])]
    services.join_waitlist(
        world["provider"],
        practitioner=world["practitioner"],
        data={"first_name": "Ala", "last_name": "X", "email": "ala@example.com", "phone": "600 200 300"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(visits[1].pk, visits[1].cancel_token)
    from terminarz.notifications.models import Message

    offer = WaitlistOffer.objects.get()
    keys = sorted(Message.objects.filter(kind="waitlist_offer").values_list("idempotency_key", "channel"))
    assert keys == [(f"sms:waitlist_offer:{offer.pk}", "sms"), (f"waitlist_offer:{offer.pk}", "email")]


def test_offer_offered_to_accepted_and_others_to_gone(world, django_capture_on_commit_callbacks):
    ala, ola = offered(world, "Ala", "Ola", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    appointment = services.accept_offer(ola.token, {**GUEST, "first_name": "Ola", "email": "ola@example.com"})
    ola.refresh_from_db()
    ala.refresh_from_db()
    assert (ola.status, ola.appointment_id, ala.status) == (O.ACCEPTED, appointment.pk, O.GONE)
    assert [(t.from_state, t.to_state) for t in OFFER.history(ola)] == [("", "offered"), ("offered", "accepted")]
    assert [(t.from_state, t.to_state) for t in OFFER.history(ala)] == [("", "offered"), ("offered", "gone")]
    assert transitions(ola.entry)[-1] == ("waiting", "booked", "patient")


def test_offer_offered_to_expired_when_accepted_too_late(client, world, frozen, django_capture_on_commit_callbacks):
    (offer,) = offered(world, "Ala", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    frozen.shift(dt.timedelta(minutes=31))
    with pytest.raises(services.OfferExpired):
        services.accept_offer(offer.token, GUEST)
    offer.refresh_from_db()
    assert offer.status == O.EXPIRED
    assert [(t.from_state, t.to_state) for t in OFFER.history(offer)] == [("", "offered"), ("offered", "expired")]


def test_offers_expired_in_bulk_only_from_offered(world, frozen, django_capture_on_commit_callbacks):
    ala, ola = offered(world, "Ala", "Ola", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    OFFER.move(ala, O.ACCEPTED, actor_label="patient")
    assert expire_due_offers(now=FROZEN_NOW + dt.timedelta(minutes=31)) == 1
    ala.refresh_from_db()
    ola.refresh_from_db()
    assert (ala.status, ola.status) == (O.ACCEPTED, O.EXPIRED)
    assert [(t.from_state, t.to_state, t.actor_label) for t in OFFER.history(ola)][-1] == (
        "offered",
        "expired",
        "system",
    )
    assert expire_due_offers(now=FROZEN_NOW + dt.timedelta(minutes=32)) == 0


def test_offer_gone_cannot_be_accepted(world, django_capture_on_commit_callbacks):
    ala, ola = offered(world, "Ala", "Ola", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    services.accept_offer(ola.token, {**GUEST, "first_name": "Ola", "email": "ola@example.com"})
    with pytest.raises(services.OfferGone):
        services.accept_offer(ala.token, GUEST)
    ala.refresh_from_db()
    with pytest.raises(TransitionRefused) as refused:
        OFFER.move(ala, O.ACCEPTED)
    assert (
        refused.value.message
        == "Nie można zmienić statusu propozycji terminu z „zajęty przez inną osobę” na „przyjęty”."
    )
    assert WaitlistEntry.objects.get(first_name="Ala").status == E.WAITING


def test_offer_accepted_cannot_expire(world, django_capture_on_commit_callbacks):
    (offer,) = offered(world, "Ala", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    services.accept_offer(offer.token, GUEST)
    offer.refresh_from_db()
    with pytest.raises(TransitionRefused) as refused:
        OFFER.move(offer, O.EXPIRED)
    assert refused.value.message == "Nie można zmienić statusu propozycji terminu z „przyjęty” na „wygasł”."
    assert WaitlistOffer.objects.get(pk=offer.pk).status == O.ACCEPTED


def test_offer_expired_cannot_be_accepted(world, frozen, django_capture_on_commit_callbacks):
    (offer,) = offered(world, "Ala", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    expire_due_offers(now=FROZEN_NOW + dt.timedelta(minutes=31))
    offer.refresh_from_db()
    with pytest.raises(TransitionRefused) as refused:
        OFFER.move(offer, O.ACCEPTED)
    assert refused.value.message == "Nie można zmienić statusu propozycji terminu z „wygasł” na „przyjęty”."
    with pytest.raises(services.OfferExpired):
        services.accept_offer(offer.token, GUEST)
    assert Appointment.objects.filter(slot_id=offer.slot_id, status="confirmed").exists() is False


def test_offer_page_shows_the_gone_offer(client, world, django_capture_on_commit_callbacks):
    offered(world, "Ala", "Ola", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    links = {
        m.to[0]: re.search(r"/lista-rezerwowa/oferta/[^\s]+/", m.body).group(0)
        for m in mail.outbox
        if "Zwolnił się termin" in m.subject
    }
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(links["ola@example.com"], {**GUEST, "first_name": "Ola", "email": "ola@example.com"})
    assert accepted.status_code == 302
    late = client.post(links["ala@example.com"], GUEST)
    assert late.status_code == 409 and "Ten termin został już zajęty" in late.content.decode()


# -- NFZ waiting queue ---------------------------------------------------------------------


@pytest.fixture
def queued(world, registrar):
    patient = Patient.objects.create(provider=world["provider"], first_name="Jan", last_name="Kowalski")
    return services.add_to_queue(
        world["provider"], actor=registrar, unit=world["unit"], patient=patient, category="stable", note=""
    )


def queue_history(entry) -> list[tuple[str, str]]:
    return [(t.from_state, t.to_state) for t in QUEUE.history(entry)]


def test_queue_entry_created_waiting(queued, registrar):
    assert queue_history(queued) == [("", "waiting")]
    assert QUEUE.history(queued).get().actor == registrar
    assert AuditEntry.objects.filter(action="queue.added", object_id=str(queued.pk)).count() == 1


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (["scheduled"], [("waiting", "scheduled")]),
        (["removed"], [("waiting", "removed")]),
        (["scheduled", "waiting"], [("waiting", "scheduled"), ("scheduled", "waiting")]),
        (["scheduled", "removed"], [("waiting", "scheduled"), ("scheduled", "removed")]),
        (["removed", "waiting"], [("waiting", "removed"), ("removed", "waiting")]),
    ],
)
def test_queue_entry_allowed_transitions(queued, registrar, path, expected):
    for status in path:
        services.change_queue_entry(queued, actor=registrar, status=status, category=queued.category)
    assert QueueEntry.objects.get(pk=queued.pk).status == path[-1]
    assert queue_history(queued)[1:] == expected
    assert AuditEntry.objects.filter(action="queue.changed", object_id=str(queued.pk)).count() == len(path)


def test_queue_entry_removed_cannot_be_scheduled(client, queued, registrar):
    services.change_queue_entry(queued, actor=registrar, status="removed", category="stable")
    response = client.post(
        reverse("clinic:queue-entry", args=[queued.pk]), {"status": "scheduled", "category": "urgent"}, follow=True
    )
    assert (
        "Nie można zmienić statusu wpisu w kolejce oczekujących z „skreślony” na „termin wyznaczony”."
        in response.content.decode()
    )
    queued.refresh_from_db()
    assert (queued.status, queued.category) == (Q.REMOVED, "stable")
    assert AuditEntry.objects.filter(action="queue.changed").count() == 1


def test_queue_entry_category_change_is_no_transition(client, queued, registrar):
    response = client.post(
        reverse("clinic:queue-entry", args=[queued.pk]), {"status": "waiting", "category": "urgent"}, follow=True
    )
    assert "Zapisano zmianę wpisu." in response.content.decode()
    queued.refresh_from_db()
    assert (queued.status, queued.category) == (Q.WAITING, "urgent")
    assert queue_history(queued) == [("", "waiting")]


def test_queue_entry_set_to_scheduled_by_the_registrar(client, queued):
    client.post(reverse("clinic:queue-entry", args=[queued.pk]), {"status": "scheduled", "category": "stable"})
    assert QueueEntry.objects.get(pk=queued.pk).status == Q.SCHEDULED
    assert queue_history(queued) == [("", "waiting"), ("waiting", "scheduled")]
