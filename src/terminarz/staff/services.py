"""Staff writes of the back-office: room assignments (F8)."""

import datetime as dt

from django.db import transaction

from terminarz.core.audit import record_audit
from terminarz.providers.models import Room

from .models import Practitioner, RoomAssignment


def assign_room(provider, *, actor, practitioner: Practitioner, room: Room, day: dt.date) -> RoomAssignment:
    """A room for a practitioner on a day: one practitioner a room and one room a practitioner
    a day (a `ValidationError` with the constraint's message otherwise)."""
    assignment = RoomAssignment(provider=provider, practitioner=practitioner, room=room, day=day)
    with transaction.atomic():
        assignment.validate_constraints()
        assignment.save()
        record_audit(
            provider_id=provider.pk,
            action="room.assigned",
            target=assignment,
            summary=f"Gabinet {room.name}: {practitioner.full_name}, {day:%d.%m.%Y}",
            actor=actor,
        )
    return assignment
