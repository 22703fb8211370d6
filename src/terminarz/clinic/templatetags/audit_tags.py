"""The audit log's Polish wording in templates (core.audit_labels)."""

from django import template

from terminarz.clinic import bookings
from terminarz.core import audit_labels

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return audit_labels.action_label(action)


@register.filter
def actor_label(label: str) -> str:
    return audit_labels.actor_label(label)


@register.filter
def change_lines(entry) -> list[tuple[str, str]]:
    return audit_labels.change_lines(entry.action, entry.changes or {}, entry.object_type)


@register.filter
def object_label(object_type: str) -> str:
    return audit_labels.object_label(object_type)


@register.filter
def cancelled_by(appointment) -> str:
    return bookings.cancelled_by(appointment)
