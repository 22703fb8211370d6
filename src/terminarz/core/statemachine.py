"""One state-machine module for every status field with rules.

A `Machine` owns the allowed transitions of one model's status field. `machine.move(obj, to)`
checks the table, writes with compare-and-set (`UPDATE … WHERE pk = … AND status = <from>`, so
two racing requests cannot both move the same object), records the transition (who, when,
why), writes the audit entry and runs the machine's `after` hooks (which emit domain events)
– all in the caller's transaction. A refused transition raises `TransitionRefused` (one error
type, a Polish message, a stable code for the API).

    ENTRY = Machine(WaitlistEntry, subject="wpisu", name="waitlist",
                    transitions={"waiting": {"offered", "cancelled"}, ...})
    ENTRY.move(entry, "offered", actor_label="system")

The transition record is the generic `core.StateTransition` row unless the machine brings its
own (appointments keep `booking.AppointmentTransition`). `""` as a "from" state means
creation: `machine.created(obj)` records it.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from django.db import models

from . import audit_labels, clock
from .audit import record_audit


class TransitionRefused(Exception):
    code = "not_allowed"
    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.errors: dict[str, list[str]] = {}


@dataclass(frozen=True)
class Change:
    """What a hook or a record function is told about one transition."""

    obj: models.Model
    from_state: str
    to_state: str
    at: dt.datetime
    actor: object | None
    actor_label: str
    reason: str


Hook = Callable[[Change], None]


@dataclass
class Machine:
    model: type[models.Model]
    transitions: Mapping[str, Collection[str]]
    subject: str  # Polish genitive for messages: "wizyty", "wpisu", "wniosku"…
    name: str  # audit action prefix: "<name>.<to_state>"
    field: str = "status"
    audit: bool = True
    error: type[TransitionRefused] = TransitionRefused
    record: Callable[[Change], None] | None = None
    after: list[Hook] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        states = set(self._choices())
        for source, targets in self.transitions.items():
            unknown = ({source} - {""} | set(targets)) - states
            if unknown:
                raise ValueError(f"{self.name}: unknown states {sorted(unknown)}")
        audit_labels.describe_machine(self.name, self.subject, self.field, self.label)

    # -- reading -------------------------------------------------------------------------
    def _choices(self) -> dict[str, str]:
        choices = getattr(self.model._meta.get_field(self.field), "choices", None) or []
        return {value: str(label) for value, label in choices}

    def label(self, state: str) -> str:
        return self._choices().get(state, state)

    def allowed(self, from_state: str) -> set[str]:
        return set(self.transitions.get(from_state, ()))

    def can(self, obj: models.Model, to_state: str) -> bool:
        return to_state in self.allowed(getattr(obj, self.field))

    def check(self, from_state: str, to_state: str) -> None:
        if to_state not in self.allowed(from_state):
            raise self.error(
                f"Nie można zmienić statusu {self.subject} z „{self.label(from_state)}” na „{self.label(to_state)}”."
            )

    # -- writing -------------------------------------------------------------------------
    def move(
        self,
        obj: models.Model,
        to_state: str,
        *,
        actor=None,
        actor_label: str = "",
        reason: str = "",
        now: dt.datetime | None = None,
        **fields,
    ):
        """Move `obj` to `to_state` if allowed from its current state (compare-and-set)."""
        from_state = getattr(obj, self.field)
        self.check(from_state, to_state)
        updated = (
            type(obj)
            ._base_manager.filter(pk=obj.pk, **{self.field: from_state})
            .update(**{self.field: to_state}, **fields)
        )
        if updated != 1:
            raise self.error(f"Status {self.subject} zmienił się w międzyczasie. Odśwież stronę.")
        setattr(obj, self.field, to_state)
        for name, value in fields.items():
            setattr(obj, name, value)
        self._recorded(obj, from_state, to_state, actor=actor, actor_label=actor_label, reason=reason, now=now)
        return obj

    def created(self, obj: models.Model, *, actor=None, actor_label: str = "", reason: str = "", now=None) -> None:
        """Record the creation of `obj` in its first state (must be allowed from "")."""
        to_state = getattr(obj, self.field)
        self.check("", to_state)
        self._recorded(obj, "", to_state, actor=actor, actor_label=actor_label, reason=reason, now=now)

    def _recorded(self, obj, from_state, to_state, *, actor, actor_label, reason, now) -> None:
        change = Change(
            obj=obj,
            from_state=from_state,
            to_state=to_state,
            at=now or clock.now(),
            actor=actor,
            actor_label=actor_label or (f"user:{actor.pk}" if actor is not None else "system"),
            reason=reason[:300],
        )
        (self.record or self._generic_record)(change)
        if self.audit and getattr(obj, "provider_id", None):
            self._audit(change)
        for hook in self.after:
            hook(change)

    def _generic_record(self, change: Change) -> None:
        from . import batch
        from .models import StateTransition

        # Written at once, or with the request's other rows (core.batch): nothing reads it back.
        batch.insert(
            StateTransition(
                model=change.obj._meta.label_lower,
                object_id=str(change.obj.pk),
                from_state=change.from_state,
                to_state=change.to_state,
                at=change.at,
                actor=change.actor if getattr(change.actor, "pk", None) else None,  # type: ignore[misc]
                actor_label=change.actor_label,
                reason=change.reason,
            )
        )

    def _audit(self, change: Change) -> None:
        obj = change.obj
        states = self.label(change.to_state)
        if change.from_state:
            states = f"{self.label(change.from_state)} → {states}"
        summary = f"{str(obj._meta.verbose_name).capitalize()} #{obj.pk}: {states}"
        record_audit(
            provider_id=obj.provider_id,  # type: ignore[attr-defined]
            action=f"{self.name}.{change.to_state}",
            target=obj,
            summary=summary,
            actor=change.actor if getattr(change.actor, "pk", None) else None,
            actor_label=change.actor_label,
            changes={
                self.field: [change.from_state, change.to_state],
                **({"reason": change.reason} if change.reason else {}),
            },
            at=change.at,
        )

    def history(self, obj: models.Model):
        from .models import StateTransition

        return StateTransition.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk)).order_by("at", "pk")
