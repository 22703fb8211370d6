"""Audit log writes (A8): called inside the transaction of the change they record."""

import datetime as dt

from . import batch, clock
from .models import AuditEntry


def record_audit(
    *,
    provider_id: int,
    action: str,
    target,
    summary: str,
    actor=None,
    actor_label: str = "",
    changes: dict | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Never put personal data (PESEL, contacts) into summary or changes: ids and states only."""
    entry = AuditEntry(
        provider_id=provider_id,
        at=at or clock.now(),
        actor=actor,
        actor_label=actor_label or (f"user:{actor.pk}" if actor is not None else "system"),
        action=action,
        object_type=target._meta.model_name if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        summary=summary[:300],
        changes=changes or {},
    )
    batch.insert(entry)  # written at once, or with the request's other rows (core.batch)
    return entry
