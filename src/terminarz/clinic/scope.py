"""Least privilege (B1): which calendars, visits and patient records a membership may read.

`clinic_view(permission)` (access.py) decides whether a person may open a kind of page at
all; this module decides which rows of that kind they see, in one place for every view:

- "calendar.view_all" – every practitioner's calendar and visits at the provider; without it,
  only the calendars of the practitioner profiles linked to the person's user (their own).
- "patients.view_all" – every patient record; without it, only patients who have (or had) a
  visit, in any status, with one of the person's own practitioner profiles.

Registrars and admins have both by role; a practitioner gets them only as a per-person grant
at /gabinet/konta/. A read that reaches outside the person's own scope and is possible only
because of such a grant is audited ("access.widened"). Anything outside the scope answers 404,
the same as another provider's id, so its existence does not leak."""

from collections.abc import Iterable
from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from terminarz.booking.models import Appointment
from terminarz.core.audit import record_audit
from terminarz.patients.models import Patient
from terminarz.providers.models import Membership
from terminarz.providers.permissions import ROLE_PERMISSIONS
from terminarz.staff.models import Practitioner

ALL_CALENDARS = "calendar.view_all"
ALL_PATIENTS = "patients.view_all"
WIDENED_ACTION = "access.widened"

M = TypeVar("M", bound=Model)


def own_practitioner_ids(membership: Membership) -> frozenset[int]:
    """The practitioner profiles at the membership's provider linked to its user."""
    cached = getattr(membership, "_own_practitioner_ids", None)
    if cached is None:
        cached = frozenset(
            Practitioner.objects.filter(provider_id=membership.provider_id, user_id=membership.user_id).values_list(
                "pk", flat=True
            )
        )
        membership._own_practitioner_ids = cached  # type: ignore[attr-defined]
    return cached


def sees_all_calendars(membership: Membership) -> bool:
    return membership.has_permission(ALL_CALENDARS)


def sees_all_patients(membership: Membership) -> bool:
    return membership.has_permission(ALL_PATIENTS)


def visible_practitioners(membership: Membership) -> QuerySet[Practitioner]:
    practitioners = Practitioner.objects.filter(provider_id=membership.provider_id)
    if sees_all_calendars(membership):
        return practitioners
    return practitioners.filter(pk__in=own_practitioner_ids(membership))


def visible_appointments(membership: Membership) -> QuerySet[Appointment]:
    appointments = Appointment.objects.filter(provider_id=membership.provider_id)
    if sees_all_calendars(membership):
        return appointments
    return appointments.filter(practitioner_id__in=own_practitioner_ids(membership))


def own_patients(membership: Membership) -> QuerySet[Patient]:
    """Patients with a visit (past or future, any status) with one of the person's profiles."""
    with_visits = Appointment.objects.filter(
        provider_id=membership.provider_id, practitioner_id__in=own_practitioner_ids(membership)
    ).values("patient_id")
    return Patient.objects.filter(provider_id=membership.provider_id, pk__in=with_visits)


def visible_patients(membership: Membership) -> QuerySet[Patient]:
    if sees_all_patients(membership):
        return Patient.objects.filter(provider_id=membership.provider_id)
    return own_patients(membership)


def of_visible_patients(membership: Membership, queryset: QuerySet[M]) -> QuerySet[M]:
    """Rows about a patient (requests, queue entries) narrowed to the patients the person may see."""
    if sees_all_patients(membership):
        return queryset
    return queryset.filter(patient__in=own_patients(membership))


def of_visible_waitlist(membership: Membership, queryset: QuerySet[M]) -> QuerySet[M]:
    """Waiting-list entries (people, not yet records) narrowed like patients: without
    "patients.view_all" only those waiting for one of the person's own practitioner profiles."""
    if sees_all_patients(membership):
        return queryset
    return queryset.filter(practitioner_id__in=own_practitioner_ids(membership))


def _get(queryset: QuerySet[M], pk) -> M:
    try:
        return queryset.get(pk=int(pk))
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def _widened_by_grant(membership: Membership, permission: str) -> bool:
    """True when the person has the permission only through a per-person grant."""
    return membership.has_permission(permission) and permission not in ROLE_PERMISSIONS.get(
        membership.role, frozenset()
    )


def _audit_widened(request, permission: str, target, summary: str, **changes) -> None:
    record_audit(
        provider_id=request.provider.pk,
        action=WIDENED_ACTION,
        target=target,
        summary=summary,
        actor=request.user,
        changes={"permission": permission, **changes},
    )


def audit_calendars_read(request, practitioner_ids: Iterable[int], what: str, target=None) -> None:
    """Audit a page that shows calendars or visits of practitioners other than the person's
    own when only a grant lets them see those (e.g. a colleague's day, the visits of the day)."""
    membership = request.membership
    if not _widened_by_grant(membership, ALL_CALENDARS):
        return
    others = sorted(set(practitioner_ids) - own_practitioner_ids(membership))
    if others:
        _audit_widened(
            request,
            ALL_CALENDARS,
            target,
            gettext("Wgląd poza własnym terminarzem (%(what)s); lekarze nr %(ids)s")
            % {"what": what, "ids": ", ".join(map(str, others))},
            # Every id, also when the summary is cut to its length (a busy unit's day).
            practitioners=others,
        )


def get_practitioner(request, pk) -> Practitioner:
    """A practitioner whose calendar the person may open; 404 otherwise. A colleague's calendar
    opened through a grant is audited."""
    practitioner = _get(visible_practitioners(request.membership), pk)
    audit_calendars_read(request, [practitioner.pk], gettext("terminarz lekarza"), target=practitioner)
    return practitioner


def get_appointment(request, queryset: QuerySet[Appointment], pk) -> Appointment:
    """A visit (from `queryset`) the person may open; 404 otherwise. Audited when widened."""
    appointment = _get(queryset.filter(pk__in=visible_appointments(request.membership).values("pk")), pk)
    audit_calendars_read(request, [appointment.practitioner_id], gettext("wizyta"), target=appointment)
    return appointment


def get_patient(request, queryset: QuerySet[Patient], pk) -> Patient:
    """A patient record (from `queryset`) the person may open; 404 otherwise. A patient outside
    the person's own patients, opened through a grant, is audited (beyond "patient.opened")."""
    membership = request.membership
    patient = _get(queryset.filter(pk__in=visible_patients(membership).values("pk")), pk)
    if _widened_by_grant(membership, ALL_PATIENTS) and not own_patients(membership).filter(pk=patient.pk).exists():
        _audit_widened(
            request,
            ALL_PATIENTS,
            patient,
            gettext("Wgląd do kartoteki pacjenta nr %(id)s spoza własnych pacjentów") % {"id": patient.pk},
        )
    return patient


def default_practitioner(membership: Membership, practitioners: list[Practitioner]) -> Practitioner | None:
    """The calendar shown when none is chosen: the person's own, else the first in the list."""
    own = own_practitioner_ids(membership)
    return next((p for p in practitioners if p.pk in own), practitioners[0] if practitioners else None)
