"""Which provider records belong to a patient account (E5): those created for its own
bookings (Patient.account). A record matched by a PESEL typed into a form is not linked, so
documents shared with someone else's record can never be seen from an account.

Below: the writes of both sides (E5) – a patient's prescription and RODO requests, the
back-office's answers (status changes through `records.machines`) and shared documents."""

from django.db import transaction
from django.utils.translation import gettext

from terminarz.booking.models import Appointment, AppointmentStatus
from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.core.statemachine import TransitionRefused

from .machines import PRESCRIPTION, RODO
from .models import PrescriptionRequest, RodoRequest, SharedDocument


def record_ids(account) -> list[int]:
    from terminarz.patients.models import Patient

    return list(Patient.objects.filter(account=account).values_list("pk", flat=True))


def provider_ids(account) -> list[int]:
    return list(Appointment.objects.filter(account=account).values_list("provider_id", flat=True).distinct())


def seen_visits(account):
    """Past visits that took place: the practitioners a prescription may be asked of."""
    return (
        Appointment.objects.filter(
            account=account,
            status__in=[AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED],
            start__lt=clock.now(),
        )
        .select_related("practitioner", "provider")
        .order_by("-start")
    )


# -- what a patient asks of a provider -----------------------------------------------------


def request_prescription(account, visit: Appointment, *, medicines: str, note: str = "") -> PrescriptionRequest:
    """A prescription request to a practitioner of a visit that took place (`seen_visits`)."""
    with transaction.atomic():
        item = PrescriptionRequest.objects.create(
            provider_id=visit.provider_id,
            patient_id=visit.patient_id,
            practitioner_id=visit.practitioner_id,
            account=account,
            medicines=medicines,
            note=note,
        )
        PRESCRIPTION.created(item, actor=account, actor_label="patient")
    return item


def handle_prescription(item: PrescriptionRequest, *, actor, status: str, answer: str) -> PrescriptionRequest:
    """The back-office answers a prescription request: a new status through the machine, or
    the same status with a new answer."""
    now = clock.now()
    answer = answer[:1000]
    with transaction.atomic():
        if status != item.status:
            PRESCRIPTION.move(item, status, actor=actor, now=now, answer=answer, handled_at=now, handled_by=actor)
        else:
            item.answer, item.handled_at, item.handled_by = answer, now, actor
            item.save(update_fields=["answer", "handled_at", "handled_by"])
        record_audit(
            provider_id=item.provider_id,
            action="prescription.handled",
            target=item,
            summary=f"Prośba o receptę nr {item.pk}: {item.get_status_display()}",
            actor=actor,
            at=now,
        )
    return item


def submit_rodo_request(account, *, provider_id: int, kind: str, text: str) -> RodoRequest:
    """A RODO request to a provider the account has visits with; the provider's record of the
    account's patient is attached when there is one; 30 days to answer."""
    from terminarz.patients.models import Patient

    patient_id = Patient.objects.filter(account=account, provider_id=provider_id).values_list("pk", flat=True).first()
    with transaction.atomic():
        item = RodoRequest.objects.create(
            provider_id=provider_id,
            patient_id=patient_id,
            account=account,
            kind=kind,
            text=text,
            due_date=RodoRequest.deadline(clock.local_today()),
        )
        RODO.created(item, actor=account, actor_label="patient")
    return item


def withdraw_rodo_request(item: RodoRequest, *, account) -> RodoRequest:
    """The patient withdraws their own open request (refused once it is closed)."""
    if not RODO.can(item, RodoRequest.Status.WITHDRAWN):
        raise TransitionRefused(
            gettext("Wniosku o statusie „%(status)s” nie można już wycofać.") % {"status": item.get_status_display()}
        )
    now = clock.now()
    with transaction.atomic():
        RODO.move(item, RodoRequest.Status.WITHDRAWN, actor=account, actor_label="patient", now=now)
        record_audit(
            provider_id=item.provider_id,
            action="rodo.withdrawn",
            target=item,
            summary=f"Wniosek RODO nr {item.pk} ({item.get_kind_display()}): wycofany przez pacjenta",
            actor=account,
            actor_label="patient",
            at=now,
        )
    return item


def handle_rodo_request(item: RodoRequest, *, actor, status: str, answer: str) -> RodoRequest:
    """The back-office works on a RODO request: a new status through the machine (an answer
    time when it is closed), or the same status with a new answer. Only the patient withdraws."""
    if item.status == RodoRequest.Status.WITHDRAWN:
        raise TransitionRefused(gettext("Pacjent wycofał ten wniosek."))
    if status == RodoRequest.Status.WITHDRAWN:
        raise TransitionRefused(gettext("Wniosek może wycofać tylko pacjent."))
    now = clock.now()
    fields: dict = {"answer": answer[:3000], "handled_by": actor}
    if status in (RodoRequest.Status.DONE, RodoRequest.Status.REJECTED):
        fields["answered_at"] = now
    with transaction.atomic():
        if status != item.status:
            RODO.move(item, status, actor=actor, now=now, **fields)
        else:
            for name, value in fields.items():
                setattr(item, name, value)
            item.save(update_fields=list(fields))
        record_audit(
            provider_id=item.provider_id,
            action="rodo.handled",
            target=item,
            summary=f"Wniosek RODO nr {item.pk} ({item.get_kind_display()}): {item.get_status_display()}",
            actor=actor,
            at=now,
        )
    return item


def share_document(document: SharedDocument, *, provider, patient, actor) -> SharedDocument:
    """A document (filled in from the back-office form, not yet saved) shared with a patient."""
    with transaction.atomic():
        document.provider, document.patient, document.shared_by = provider, patient, actor
        document.save()
        record_audit(
            provider_id=provider.pk,
            action="document.shared",
            target=patient,
            summary=f"Udostępniono pacjentowi: {document.get_kind_display()}",
            actor=actor,
        )
    return document
