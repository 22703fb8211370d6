"""records.machines: prescription requests and RODO requests change status only through their
machines – each allowed transition is written and recorded, each refused one raises
`TransitionRefused` with a Polish message (shown to the registrar or the patient) and changes
nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from terminarz.core.models import AuditEntry
from terminarz.core.statemachine import TransitionRefused
from terminarz.patients.models import Patient
from terminarz.records import services
from terminarz.records.machines import PRESCRIPTION, RODO
from terminarz.records.models import PrescriptionRequest, RodoRequest
from tests.clinic.test_access import make_user
from tests.factories import clinic

pytestmark = pytest.mark.django_db
P, R = PrescriptionRequest.Status, RodoRequest.Status


@pytest.fixture
def world(today):
    provider, _, practitioner, _ = clinic(today=today, days=1)
    account = get_user_model().objects.create_user("ewa", "ewa@example.com", "haslo-ewy-123")
    patient = Patient.objects.create(provider=provider, first_name="Ewa", last_name="Kowal", account=account)
    registrar = make_user("rachel", provider, "registrar")
    return {
        "provider": provider,
        "practitioner": practitioner,
        "account": account,
        "patient": patient,
        "registrar": registrar,
    }


def history(machine, obj) -> list[tuple[str, str]]:
    return [(t.from_state, t.to_state) for t in machine.history(obj)]


# -- prescription requests -----------------------------------------------------------------


@pytest.fixture
def prescription(world):
    item = PrescriptionRequest.objects.create(
        provider=world["provider"],
        patient=world["patient"],
        practitioner=world["practitioner"],
        account=world["account"],
        medicines="Bisocard 5 mg",
    )
    PRESCRIPTION.created(item, actor=world["account"], actor_label="patient")
    return item


@pytest.mark.parametrize("to_state", [P.ISSUED, P.REJECTED])
def test_prescription_new_to_handled(world, prescription, to_state):
    services.handle_prescription(prescription, actor=world["registrar"], status=to_state, answer="Kod 1234")
    item = PrescriptionRequest.objects.get(pk=prescription.pk)
    assert (item.status, item.answer, item.handled_by) == (to_state, "Kod 1234", world["registrar"])
    assert history(PRESCRIPTION, item) == [("", "new"), ("new", to_state)]
    assert AuditEntry.objects.filter(action="prescription.handled", object_id=str(item.pk)).count() == 1


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        (P.ISSUED, P.REJECTED, "Nie można zmienić statusu prośby o receptę z „recepta wystawiona” na „odrzucony”."),
        (P.ISSUED, P.NEW, "Nie można zmienić statusu prośby o receptę z „recepta wystawiona” na „złożony”."),
        (P.REJECTED, P.ISSUED, "Nie można zmienić statusu prośby o receptę z „odrzucony” na „recepta wystawiona”."),
        (P.REJECTED, P.NEW, "Nie można zmienić statusu prośby o receptę z „odrzucony” na „złożony”."),
    ],
)
def test_prescription_handled_is_final(world, prescription, first, then, message):
    services.handle_prescription(prescription, actor=world["registrar"], status=first, answer="")
    with pytest.raises(TransitionRefused) as refused:
        services.handle_prescription(prescription, actor=world["registrar"], status=then, answer="")
    assert refused.value.message == message
    assert PrescriptionRequest.objects.get(pk=prescription.pk).status == first
    assert AuditEntry.objects.filter(action="prescription.handled").count() == 1


def test_prescription_same_status_updates_the_answer_only(world, prescription):
    services.handle_prescription(prescription, actor=world["registrar"], status=P.ISSUED, answer="Kod 1")
    services.handle_prescription(prescription, actor=world["registrar"], status=P.ISSUED, answer="Kod 2")
    assert PrescriptionRequest.objects.get(pk=prescription.pk).answer == "Kod 2"
    assert history(PRESCRIPTION, prescription) == [("", "new"), ("new", "issued")]


def test_prescription_request_from_the_portal_is_recorded(client, world, today):
    from terminarz.booking.models import Appointment

    visit = Appointment(
        provider=world["provider"], patient=world["patient"], practitioner=world["practitioner"], account=None
    )
    item = services.request_prescription(world["account"], visit, medicines="Bisocard", note="")
    assert item.status == P.NEW
    assert [(t.from_state, t.to_state, t.actor_label) for t in PRESCRIPTION.history(item)] == [("", "new", "patient")]


def test_registrar_issues_a_prescription(client, world, prescription):
    client.force_login(world["registrar"])
    response = client.post(
        reverse("clinic:prescription-update", args=[prescription.pk]),
        {"status": "issued", "answer": "Kod 1"},
        follow=True,
    )
    assert "Zapisano." in response.content.decode()
    assert PrescriptionRequest.objects.get(pk=prescription.pk).status == P.ISSUED


def test_registrar_cannot_reopen_an_issued_prescription(client, world, prescription):
    services.handle_prescription(prescription, actor=world["registrar"], status=P.ISSUED, answer="")
    client.force_login(world["registrar"])
    response = client.post(
        reverse("clinic:prescription-update", args=[prescription.pk]), {"status": "new", "answer": ""}, follow=True
    )
    assert (
        "Nie można zmienić statusu prośby o receptę z „recepta wystawiona” na „złożony”." in response.content.decode()
    )
    assert PrescriptionRequest.objects.get(pk=prescription.pk).status == P.ISSUED


# -- RODO requests -------------------------------------------------------------------------


@pytest.fixture
def rodo(world):
    return services.submit_rodo_request(
        world["account"], provider_id=world["provider"].pk, kind="access", text="Proszę o kopię dokumentacji."
    )


def test_rodo_submitted_on_creation(world, rodo):
    assert (rodo.status, rodo.patient_id) == (R.SUBMITTED, world["patient"].pk)
    assert [(t.from_state, t.to_state, t.actor) for t in RODO.history(rodo)] == [("", "submitted", world["account"])]


@pytest.mark.parametrize(
    "path",
    [
        [R.IN_PROGRESS],
        [R.DONE],
        [R.REJECTED],
        [R.IN_PROGRESS, R.DONE],
        [R.IN_PROGRESS, R.REJECTED],
    ],
)
def test_rodo_handled_by_the_back_office(world, rodo, path):
    for status in path:
        services.handle_rodo_request(rodo, actor=world["registrar"], status=status, answer="Odpowiedź")
    item = RodoRequest.objects.get(pk=rodo.pk)
    assert item.status == path[-1]
    assert (item.answered_at is not None) == (path[-1] in (R.DONE, R.REJECTED))
    expected = [("", "submitted")]
    for status in path:
        expected.append((expected[-1][1], status))
    assert history(RODO, item) == expected
    assert AuditEntry.objects.filter(action="rodo.handled", object_id=str(item.pk)).count() == len(path)


@pytest.mark.parametrize("before", [[], [R.IN_PROGRESS]])
def test_rodo_withdrawn_by_the_patient(world, rodo, before):
    for status in before:
        services.handle_rodo_request(rodo, actor=world["registrar"], status=status, answer="")
    services.withdraw_rodo_request(rodo, account=world["account"])
    assert RodoRequest.objects.get(pk=rodo.pk).status == R.WITHDRAWN
    assert history(RODO, rodo)[-1] == (before[-1] if before else "submitted", "withdrawn")
    assert AuditEntry.objects.get(action="rodo.withdrawn").actor_label == "patient"


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        (R.DONE, R.IN_PROGRESS, "Nie można zmienić statusu wniosku z „zrealizowany” na „w realizacji”."),
        (R.DONE, R.REJECTED, "Nie można zmienić statusu wniosku z „zrealizowany” na „odrzucony”."),
        (R.REJECTED, R.DONE, "Nie można zmienić statusu wniosku z „odrzucony” na „zrealizowany”."),
        (R.IN_PROGRESS, R.SUBMITTED, "Nie można zmienić statusu wniosku z „w realizacji” na „złożony”."),
    ],
)
def test_rodo_refused_back_office_transitions(world, rodo, first, then, message):
    services.handle_rodo_request(rodo, actor=world["registrar"], status=first, answer="")
    with pytest.raises(TransitionRefused) as refused:
        services.handle_rodo_request(rodo, actor=world["registrar"], status=then, answer="")
    assert refused.value.message == message
    assert RodoRequest.objects.get(pk=rodo.pk).status == first


@pytest.mark.parametrize(("closed", "label"), [(R.DONE, "zrealizowany"), (R.REJECTED, "odrzucony")])
def test_rodo_closed_cannot_be_withdrawn(world, rodo, closed, label):
    services.handle_rodo_request(rodo, actor=world["registrar"], status=closed, answer="")
    with pytest.raises(TransitionRefused) as refused:
        services.withdraw_rodo_request(rodo, account=world["account"])
    assert refused.value.message == f"Wniosku o statusie „{label}” nie można już wycofać."
    assert RodoRequest.objects.get(pk=rodo.pk).status == closed


def test_rodo_withdrawn_cannot_be_handled(world, rodo):
    services.withdraw_rodo_request(rodo, account=world["account"])
    with pytest.raises(TransitionRefused) as refused:
        services.handle_rodo_request(rodo, actor=world["registrar"], status=R.DONE, answer="")
    assert refused.value.message == "Pacjent wycofał ten wniosek."
    assert RodoRequest.objects.get(pk=rodo.pk).status == R.WITHDRAWN


def test_rodo_only_the_patient_withdraws(world, rodo):
    with pytest.raises(TransitionRefused) as refused:
        services.handle_rodo_request(rodo, actor=world["registrar"], status=R.WITHDRAWN, answer="")
    assert refused.value.message == "Wniosek może wycofać tylko pacjent."
    assert RodoRequest.objects.get(pk=rodo.pk).status == R.SUBMITTED


def test_registrar_sets_a_rodo_request_to_done(client, world, rodo):
    client.force_login(world["registrar"])
    response = client.post(
        reverse("clinic:rodo-update", args=[rodo.pk]), {"status": "done", "answer": "Wysłano kopię."}, follow=True
    )
    assert "Zapisano." in response.content.decode()
    item = RodoRequest.objects.get(pk=rodo.pk)
    assert (item.status, item.answer, item.handled_by) == (R.DONE, "Wysłano kopię.", world["registrar"])
    assert history(RODO, item) == [("", "submitted"), ("submitted", "done")]


def test_patient_withdraws_twice_second_time_refused(client, world, rodo):
    client.force_login(world["account"], backend="django.contrib.auth.backends.ModelBackend")
    first = client.post(reverse("account-rodo-withdraw", args=[rodo.pk]), follow=True)
    assert "Wniosek został wycofany." in first.content.decode()
    again = client.post(reverse("account-rodo-withdraw", args=[rodo.pk]), follow=True)
    assert "Wniosku o statusie „wycofany” nie można już wycofać." in again.content.decode()
    assert history(RODO, rodo) == [("", "submitted"), ("submitted", "withdrawn")]


def test_someone_elses_rodo_request_is_not_found(client, world, rodo):
    other = get_user_model().objects.create_user("obcy", "obcy@example.com", "haslo-obcego-123")
    client.force_login(other, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(reverse("account-rodo-withdraw", args=[rodo.pk])).status_code == 404
    assert RodoRequest.objects.get(pk=rodo.pk).status == R.SUBMITTED


def test_registrar_cannot_set_a_withdrawn_request_to_done(client, world, rodo):
    services.withdraw_rodo_request(rodo, account=world["account"])
    client.force_login(world["registrar"])
    response = client.post(reverse("clinic:rodo-update", args=[rodo.pk]), {"status": "done", "answer": ""}, follow=True)
    assert "Pacjent wycofał ten wniosek." in response.content.decode()
    assert RodoRequest.objects.get(pk=rodo.pk).status == R.WITHDRAWN
    assert AuditEntry.objects.filter(action="rodo.handled").count() == 0
