"""Support sessions: the operator's support reaches a provider's patient data only while the
provider's admin has granted a session (at most 72 hours, with the matter it is for), and the
admin can end it at any time. Every search the operator makes is written to the provider's
audit log (who, when, which patients were shown – their ids, never the names)."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.patients.models import Patient
from terminarz.patients.services import search_patients
from terminarz.providers.models import Provider

from .models import SupportSession
from .services import OnboardingError

MAX_HOURS = 72


def grant(provider: Provider, *, hours: int, reason: str, actor, now: dt.datetime | None = None) -> SupportSession:
    now = now or clock.now()
    reason = " ".join(reason.split())
    if not reason:
        raise OnboardingError(_("Napisz, w jakiej sprawie wsparcie ma dostęp."), field="reason")
    if not 1 <= hours <= MAX_HOURS:
        raise OnboardingError(_("Dostęp można dać na 1 do 72 godzin."), field="hours")
    with transaction.atomic():
        session = SupportSession.unscoped.create(
            provider=provider,
            reason=reason[:300],
            granted_by=actor,
            granted_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
        record_audit(
            provider_id=provider.pk,
            action="support.granted",
            target=session,
            summary=f"Udzielono dostępu wsparciu Terminarza na {hours} godz. (sesja nr {session.pk})",
            actor=actor,
            changes={"expires_at": session.expires_at.isoformat()},
            at=now,
        )
    return session


def end(session: SupportSession, *, actor, now: dt.datetime | None = None) -> None:
    now = now or clock.now()
    with transaction.atomic():
        locked = SupportSession.unscoped.select_for_update().get(pk=session.pk)
        if not locked.is_open(now):
            raise OnboardingError(_("Ta sesja wsparcia już się zakończyła."))
        locked.ended_at, locked.ended_by = now, actor
        locked.save(update_fields=["ended_at", "ended_by"])
        record_audit(
            provider_id=locked.provider_id,
            action="support.ended",
            target=locked,
            summary="Zakończono dostęp wsparcia Terminarza",
            actor=actor,
            at=now,
        )


def open_session(session_id: int, *, now: dt.datetime | None = None) -> SupportSession:
    """The session if it is open now; else the operator is refused."""
    now = now or clock.now()
    session = SupportSession.unscoped.select_related("provider").filter(pk=session_id).first()
    if session is None or not session.is_open(now):
        raise OnboardingError(_("Ta sesja wsparcia nie jest otwarta – placówka musi udzielić dostępu."))
    return session


def search(session: SupportSession, query: str, *, operator, now: dt.datetime | None = None) -> list[Patient]:
    """The operator's search in the provider's patients, inside an open session, audited."""
    now = now or clock.now()
    session = open_session(session.pk, now=now)
    found = search_patients(session.provider, query)
    record_audit(
        provider_id=session.provider_id,
        action="support.patients_searched",
        target=session,
        summary=f"Wsparcie Terminarza przeszukało kartotekę pacjentów (wyników: {len(found)})",
        actor=operator,
        changes={"session": session.pk, "results": len(found), "patients": [p.pk for p in found]},
        at=now,
    )
    return found
