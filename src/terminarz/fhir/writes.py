"""Writes from a clinic system (bearer token): its schedules and slots.

- `POST Schedule` (`system/Schedule.write`): a schedule of one of its practitioners in one of its
  units (`actor`: Practitioner/<id> and HealthcareService/<id>), valid over `planningHorizon`,
  published online when `active`; the subscription's quota is asked as in the back-office (a
  refusal is 409). Its hours come as slots:
- `POST Slot` (`system/Slot.write`): one free slot in a schedule of the provider – extra hours on
  that day (`scheduling.editing.add_blocks`, the same rules as the back-office: a slot that
  overlaps another block of the practitioner is 409 naming it). Sent again, the same slot is
  answered 200, not made twice.
- `PATCH Schedule/<id>` (`system/Schedule.write`): publish or withdraw it (`/active`), move or
  open its end (`/planningHorizon/end`).
- `PATCH Slot/<id>` (`system/Slot.write`, JSON Patch `replace /status`): `busy-unavailable` takes
  a free slot off the calendar (C3 block), `free` gives a blocked one back; a slot that is booked,
  held or past is 409.
Booked visits from the clinic's own desk are `Appointment/$book` (`operations`)."""

import datetime as dt

import orjson
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from terminarz.booking import services as booking
from terminarz.core import clock
from terminarz.core.tenancy import provider_scope
from terminarz.providers.models import Unit
from terminarz.scheduling import editing
from terminarz.scheduling.models import Schedule, ScheduleBlock, Slot
from terminarz.scheduling.publication import PublicationRefused
from terminarz.scheduling.services import horizon_end
from terminarz.staff.models import Practitioner

from . import resources
from .auth import SystemCaller
from .operations import MAX_BODY, BadRequest, _bad, _pk
from .params import SearchError, reference_id
from .responses import fhir_response, not_found, outcome

MAX_SLOT_MINUTES = 8 * 60


class _NoSlot(Exception):
    pass


def _json(request: HttpRequest, content_types: tuple[str, ...]):
    if request.content_type not in content_types:
        raise BadRequest(f"Wyślij {content_types[0]}.", code="unsupported_media")
    if len(request.body) > MAX_BODY:
        raise BadRequest("Treść żądania jest za duża.", code="too_complex")
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise BadRequest("Treść żądania to nie jest poprawny JSON.", code="invalid_json") from None


def _instant(value, name: str) -> dt.datetime:
    if not isinstance(value, str):
        raise BadRequest(f"Podaj „{name}” jako chwilę ze strefą (np. 2026-12-02T09:00:00+01:00).", expression=name)
    try:
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise BadRequest(f"Podaj strefę czasową w „{name}”.", expression=name)
        moment.astimezone(clock.WARSAW)
    except (ValueError, OverflowError):
        raise BadRequest(f"Nieprawidłowa chwila w „{name}”.", expression=name) from None
    if moment.second or moment.microsecond:
        raise BadRequest(f"„{name}” w pełnych minutach (bez sekund).", expression=name)
    return moment


def _reference(value, kind: str, expression: str) -> int:
    reference = value.get("reference") if isinstance(value, dict) else None
    try:
        return reference_id(reference if isinstance(reference, str) else "", kind)
    except SearchError:
        raise BadRequest(f"Podaj odwołanie „{kind}/<id>”.", expression=expression) from None


def _slot_resource(slot: Slot) -> dict:
    status = resources.slot_status(slot.state, slot.out_of_schedule, slot.hold_until, clock.now())
    return resources.slot(slot.pk, slot.schedule_id, slot.start, slot.end, status=status)


def create(request: HttpRequest, kind: str, caller: SystemCaller) -> HttpResponse:
    try:
        with provider_scope(caller.provider_id):
            if kind == "Slot":
                caller.require("system/Slot.write")
                return _create_slot(_json(request, ("application/fhir+json", "application/json")), caller)
            if kind == "Schedule":
                caller.require("system/Schedule.write")
                return _create_schedule(_json(request, ("application/fhir+json", "application/json")), caller)
    except BadRequest as error:
        return _bad(error, 404 if error.code == "not_found" else 400)
    return outcome(405, "not_supported", f"Tworzenie {kind} nie jest obsługiwane.", issue="not-supported")


def _create_slot(body, caller: SystemCaller) -> HttpResponse:
    if not isinstance(body, dict) or body.get("resourceType") != "Slot":
        raise BadRequest("Wyślij zasób Slot.", expression="Slot")
    if body.get("status", "free") != "free":
        raise BadRequest(
            "Nowy termin ma status „free” (zajęty termin to wizyta: Appointment/$book).", expression="Slot.status"
        )
    schedule_id = _reference(body.get("schedule"), "Schedule", "Slot.schedule")
    start, end = _instant(body.get("start"), "Slot.start"), _instant(body.get("end"), "Slot.end")
    schedule = Schedule.objects.filter(provider_id=caller.provider_id, pk=schedule_id).select_related("unit").first()
    if schedule is None:
        raise BadRequest(f"Nie znaleziono Schedule/{schedule_id}.", code="not_found", expression="Slot.schedule")
    local_start, local_end = start.astimezone(clock.WARSAW), end.astimezone(clock.WARSAW)
    minutes = (end - start).total_seconds() / 60
    if not (5 <= minutes <= MAX_SLOT_MINUTES) or local_start.date() != local_end.date() or minutes != int(minutes):
        raise BadRequest(
            "Termin trwa od 5 minut do 8 godzin, w pełnych minutach, w jednym dniu.", expression="Slot.end"
        )
    if start <= clock.now():
        raise BadRequest("Termin musi być w przyszłości.", expression="Slot.start")
    if local_start.date() > horizon_end(clock.local_today()):
        raise BadRequest(
            f"Terminy publikujemy najwyżej {settings.SLOT_HORIZON_DAYS} dni naprzód.",
            expression="Slot.start",
        )
    if (
        clock.local_datetime(local_start.date(), local_start.time()) != start
        or clock.local_datetime(local_end.date(), local_end.time()) != end
    ):  # a wall-clock time that does not exist or happens twice (the change of time)
        raise BadRequest("Tej godziny nie da się jednoznacznie zapisać (zmiana czasu).", expression="Slot.start")
    existing = Slot.objects.filter(schedule=schedule, start=start, end=end).first()
    if existing is not None:  # sent again: the slot it made
        return fhir_response(_slot_resource(existing), private=True)
    block = ScheduleBlock(
        date=local_start.date(),
        start_time=local_start.time(),
        end_time=local_end.time(),
        slot_minutes=int(minutes),
    )
    try:
        with transaction.atomic():
            errors, _result = editing.add_blocks(
                schedule,
                [block],
                actor=None,
                actor_label=f"client:{caller.client_id}",
                action="schedule.extra_hours",
                what="termin dodany przez system placówki",
            )
            if errors:
                return outcome(
                    409,
                    "conflict",
                    errors[0],
                    issue="conflict",
                    issues=[{"text": e, "expression": "Slot"} for e in errors],
                )
            slot = Slot.objects.filter(schedule=schedule, start=start, end=end).first()
            if slot is None:  # nothing came of the block: undo it rather than keep a hidden one
                raise _NoSlot
    except _NoSlot:
        raise BadRequest("Z tych godzin nie powstał termin – sprawdź okres harmonogramu.", expression="Slot") from None
    response = fhir_response(_slot_resource(slot), 201, private=True)
    response["Location"] = resources.site_url(f"/fhir/r4/Slot/{slot.pk}")
    return response


def _create_schedule(body, caller: SystemCaller) -> HttpResponse:
    if not isinstance(body, dict) or body.get("resourceType") != "Schedule":
        raise BadRequest("Wyślij zasób Schedule.", expression="Schedule")
    given = body.get("actor")
    actors: list = given if isinstance(given, list) else []
    practitioner_id = unit_id = None
    for actor in actors:
        reference = actor.get("reference") if isinstance(actor, dict) else None
        if isinstance(reference, str) and reference.startswith("Practitioner/"):
            practitioner_id = _reference(actor, "Practitioner", "Schedule.actor")
        elif isinstance(reference, str) and reference.startswith("HealthcareService/"):
            unit_id = _reference(actor, "HealthcareService", "Schedule.actor")
    if practitioner_id is None or unit_id is None:
        raise BadRequest("Podaj w „actor” Practitioner/<id> i HealthcareService/<id>.", expression="Schedule.actor")
    practitioner = Practitioner.objects.filter(provider_id=caller.provider_id, pk=practitioner_id).first()
    unit = Unit.objects.filter(provider_id=caller.provider_id, pk=unit_id).first()
    if practitioner is None or unit is None:
        raise BadRequest(
            "Nie znaleziono tej osoby albo poradni w placówce.", code="not_found", expression="Schedule.actor"
        )
    period = body.get("planningHorizon")
    horizon: dict = period if isinstance(period, dict) else {}
    valid_from = _day(horizon.get("start"), "Schedule.planningHorizon.start") or clock.local_today()
    valid_to = _day(horizon.get("end"), "Schedule.planningHorizon.end")
    if valid_to is not None and valid_to < valid_from:
        raise BadRequest("Koniec okresu jest przed jego początkiem.", expression="Schedule.planningHorizon.end")
    comment = body.get("comment")
    description: str = comment if isinstance(comment, str) else ""
    schedule = Schedule(
        provider_id=caller.provider_id,
        practitioner=practitioner,
        unit=unit,
        valid_from=valid_from,
        valid_to=valid_to,
        is_published_online=body.get("active", True) is not False,
        description=(description.strip() or f"System placówki ({caller.client_id})")[:200],
    )
    same = Schedule.objects.filter(
        practitioner=practitioner, unit=unit, valid_from=valid_from, valid_to=valid_to, description=schedule.description
    ).first()
    if same is not None:  # sent again: the schedule it made
        return fhir_response(_schedule_resource(same), private=True)
    try:
        with transaction.atomic():
            editing.save_schedule(schedule, None, actor=None, actor_label=f"client:{caller.client_id}")
    except PublicationRefused as refused:
        return outcome(409, "quota", refused.message, issue="business-rule")
    response = fhir_response(_schedule_resource(schedule), 201, private=True)
    response["Location"] = resources.site_url(f"/fhir/r4/Schedule/{schedule.pk}")
    return response


def _schedule_resource(schedule: Schedule) -> dict:
    resource = resources.schedule(schedule, specializations=schedule.practitioner.specializations.all())
    resource["active"] = schedule.is_published_online
    return resource


def _day(value, name: str) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Podaj datę w „{name}”.", expression=name)
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"Nieprawidłowa data w „{name}”.", expression=name) from None


def patch_slot(request: HttpRequest, resource_id: str, caller: SystemCaller) -> HttpResponse:
    caller.require("system/Slot.write")
    try:
        operations = _json(request, ("application/json-patch+json",))
        if (
            not isinstance(operations, list)
            or len(operations) != 1
            or not isinstance(operations[0], dict)
            or operations[0].get("op") != "replace"
            or operations[0].get("path") != "/status"
            or operations[0].get("value") not in ("free", "busy-unavailable")
        ):
            raise BadRequest(
                "Obsługujemy tylko „replace” ścieżki /status na „busy-unavailable” albo „free”.", code="not_supported"
            )
        wanted = operations[0]["value"]
    except BadRequest as error:
        return _bad(error)
    with provider_scope(caller.provider_id):
        slot = Slot.objects.filter(provider_id=caller.provider_id, pk=_pk(resource_id)).first()
        if slot is None:
            return not_found("Slot", resource_id[:20])
        current = _slot_resource(slot)["status"]
        if current == wanted:  # sent again
            return fhir_response(_slot_resource(slot), private=True)
        changed = booking.set_slot_blocked(
            slot, wanted == "busy-unavailable", actor=None, actor_label=f"client:{caller.client_id}"
        )
        slot.refresh_from_db()
        if not changed:
            return outcome(
                409,
                "conflict",
                "Tego terminu nie można zmienić: jest zajęty, wstępnie zarezerwowany albo już minął.",
                issue="conflict",
            )
        return fhir_response(_slot_resource(slot), private=True)


def patch_schedule(request: HttpRequest, resource_id: str, caller: SystemCaller) -> HttpResponse:
    """`PATCH Schedule/<id>` (`system/Schedule.write`): `replace /active` (publish online or
    withdraw) and `replace /planningHorizon/end` (a date; `remove` for open-ended). Saved as the
    back-office saves a schedule: the quota asked when it starts to be published, slots beyond
    a new end removed, booked visits kept (and listed in the back-office as conflicts)."""
    caller.require("system/Schedule.write")
    try:
        operations = _json(request, ("application/json-patch+json",))
        changes = _schedule_changes(operations)
    except BadRequest as error:
        return _bad(error)
    with provider_scope(caller.provider_id):
        schedule = (
            Schedule.objects.filter(provider_id=caller.provider_id, pk=_pk(resource_id))
            .select_related("practitioner", "unit")
            .first()
        )
        if schedule is None:
            return not_found("Schedule", resource_id[:20])
        for name, value in changes.items():
            setattr(schedule, name, value)
        if schedule.valid_to is not None and schedule.valid_to < schedule.valid_from:
            return _bad(
                BadRequest("Koniec okresu jest przed jego początkiem.", expression="Schedule.planningHorizon.end")
            )
        try:
            with transaction.atomic():
                editing.save_schedule(schedule, None, actor=None, actor_label=f"client:{caller.client_id}")
        except PublicationRefused as refused:
            return outcome(409, "quota", refused.message, issue="business-rule")
        return fhir_response(_schedule_resource(schedule), private=True)


def _schedule_changes(operations) -> dict:
    if not isinstance(operations, list) or not operations or len(operations) > 2:
        raise BadRequest("JSON Patch to lista jednej lub dwóch operacji.", code="invalid_json")
    changes: dict = {}
    for op in operations:
        if not isinstance(op, dict):
            raise BadRequest("JSON Patch to lista operacji.", code="invalid_json")
        path, kind, value = op.get("path"), op.get("op"), op.get("value")
        if path == "/active" and kind == "replace" and isinstance(value, bool):
            changes["is_published_online"] = value
        elif path == "/planningHorizon/end" and kind in ("replace", "add"):
            changes["valid_to"] = _day(value, "Schedule.planningHorizon.end")
        elif path == "/planningHorizon/end" and kind == "remove":
            changes["valid_to"] = None
        else:
            raise BadRequest(
                "Obsługujemy „replace” /active (true/false) i /planningHorizon/end (data albo „remove”).",
                code="not_supported",
            )
    return changes
