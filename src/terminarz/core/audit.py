"""Audit log writes (A8): called inside the transaction of the change they record."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models.fields.files import FieldFile

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


def snapshot(obj, fields: Iterable[str]) -> dict[str, Any]:
    """The readable values of `fields` of a model instance, as the audit log shows them: a
    choice by its label, a relation by its name, a many-to-many as a sorted list of names, a
    time "HH:MM", a date "d.mm.rrrr", a moment in local time. An unsaved instance has none."""
    if obj is None or obj.pk is None:
        return {}
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(str(related) for related in getattr(obj, name).all())
        elif field.is_relation:
            related = getattr(obj, name)
            values[name] = str(related) if related is not None else None
        elif getattr(field, "choices", None):
            raw = getattr(obj, name)
            values[name] = str(getattr(obj, f"get_{name}_display")()) if raw not in (None, "") else None
        else:
            values[name] = readable(getattr(obj, name))
    return values


def stored_snapshot(obj, fields: Iterable[str]) -> dict[str, Any]:
    """`snapshot` of the row as the database holds it now (a form may have changed `obj`)."""
    if obj is None or obj.pk is None:
        return {}
    return snapshot(type(obj)._base_manager.get(pk=obj.pk), fields)


def readable(value) -> Any:
    if isinstance(value, dt.datetime):
        return clock.local_text(value) if value.tzinfo else value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, FieldFile):
        return str(value.name).rsplit("/", 1)[-1] if value else None
    if value == "":
        return None
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before": b, "after": a}} for each field whose value changed; for a new object
    (no before) the fields it was given."""
    return {
        name: {"before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value and not (name not in before and value in (None, [], False))
    }
