"""Org structure rules (A1, A5, A6, F8): a new provider, locations, units, opening hours, rooms."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from terminarz.core import audit, clock
from terminarz.core.audit import record_audit

from .models import Location, LocationStatus, Membership, OpeningHours, Provider, RegistrationSettings, Room, Unit


class OrgError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


WEEKDAY_NAMES = tuple(
    enumerate(("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"))
)  # the audit log's words (Polish, like the rest of the log)
LOCATION_FIELDS = ("name", "street", "postal_code", "city", "voivodeship")


def add_location(provider: Provider, values: dict, *, actor) -> Location:
    """A5 "Dodaj": a new location with the next number, "oczekująca" and hidden from the portal
    until the platform operator approves it."""
    from .machines import LOCATION

    with transaction.atomic():
        Provider.objects.select_for_update().get(pk=provider.pk)  # one number per added location
        last = Location.objects.filter(provider=provider).order_by("-number").first()
        location = Location.objects.create(
            provider=provider,
            number=(last.number if last else 0) + 1,
            is_visible=False,
            status=LocationStatus.PENDING,
            requested_at=clock.now(),
            **{field: values.get(field, "") if field == "voivodeship" else values[field] for field in LOCATION_FIELDS},
        )
        LOCATION.created(location, actor=actor)
    return location


def correct_location(location: Location, values: dict, *, actor) -> Location:
    """A location not approved yet is corrected in place; a rejected one goes back to the
    operator. (An approved location's address changes through a change request, A2.)"""
    from .machines import LOCATION

    with transaction.atomic():
        locked = Location.objects.select_for_update().get(pk=location.pk)
        if locked.status == LocationStatus.APPROVED:
            raise OrgError(_("Adres zatwierdzonej lokalizacji zmienia się wnioskiem o zmianę danych."))
        before = audit.snapshot(locked, LOCATION_FIELDS)
        values = {"voivodeship": locked.voivodeship, **values}  # kept when not given
        for field in LOCATION_FIELDS:
            setattr(locked, field, values[field])
        locked.save(update_fields=list(LOCATION_FIELDS))
        record_audit(
            provider_id=locked.provider_id,
            action="location.corrected",
            target=locked,
            summary=_("Poprawiono lokalizację %(n)s") % {"n": locked.name},
            actor=actor,
            changes=audit.diff(before, audit.snapshot(locked, LOCATION_FIELDS)),
        )
        if locked.status == LocationStatus.REJECTED:
            LOCATION.move(locked, LocationStatus.PENDING, actor=actor, rejection_reason="", requested_at=clock.now())
        else:  # still pending: the operator's queue shows the corrected data as a new request
            Location.objects.filter(pk=locked.pk).update(requested_at=clock.now())
    return locked


def set_location_visibility(location: Location, visible: bool, *, actor) -> None:
    """A location may be shown only once the operator approved it, and hidden only after every
    practitioner working there is hidden."""
    if visible and location.status != LocationStatus.APPROVED:
        raise OrgError(_("Lokalizacja czeka na zatwierdzenie przez operatora – do tego czasu nie jest widoczna."))
    if not visible:
        still_visible = list(
            Unit.objects.filter(location=location, practitioners__is_visible_online=True)
            .values_list("practitioners__first_name", "practitioners__last_name")
            .distinct()[:5]
        )
        if still_visible:
            names = ", ".join(f"{first} {last}" for first, last in still_visible)
            raise OrgError(_("Najpierw ukryj personel przypisany do tej lokalizacji: %(names)s.") % {"names": names})
    with transaction.atomic():
        location.is_visible = visible
        location.save(update_fields=["is_visible"])  # saved, so search's cached lookups hear of it
        record_audit(
            provider_id=location.provider_id,
            action="location.shown" if visible else "location.hidden",
            target=location,
            summary=(_("Pokazano lokalizację %(n)s") if visible else _("Ukryto lokalizację %(n)s"))
            % {"n": location.name},
            actor=actor,
        )


UNIT_FIELDS = ("location", "code", "department_code", "name", "parent", "address", "is_visible", "requires_queue_entry")


def save_unit(unit: Unit, *, actor, created: bool) -> Unit:
    with transaction.atomic():
        before = audit.stored_snapshot(unit, UNIT_FIELDS)
        unit.save()
        record_audit(
            provider_id=unit.provider_id,
            action="unit.created" if created else "unit.changed",
            target=unit,
            summary=(_("Dodano komórkę %(n)s") if created else _("Zmieniono komórkę %(n)s")) % {"n": unit.name},
            actor=actor,
            changes=audit.diff(before, audit.snapshot(unit, UNIT_FIELDS)),
        )
    return unit


def set_opening_hours(unit: Unit, hours: dict[int, tuple[dt.time, dt.time] | None], *, actor) -> None:
    """Replace a unit's weekly opening hours (weekday → (opens, closes) or None for closed)."""
    with transaction.atomic():
        before = _opening_texts(OpeningHours.objects.filter(unit=unit).values_list("weekday", "opens", "closes"))
        OpeningHours.objects.filter(unit=unit).delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(unit=unit, weekday=day, opens=span[0], closes=span[1])
            for day, span in sorted(hours.items())
            if span is not None
        )
        record_audit(
            provider_id=unit.provider_id,
            action="unit.opening_hours",
            target=unit,
            summary=_("Zmieniono godziny otwarcia komórki %(n)s") % {"n": unit.name},
            actor=actor,
            changes=audit.diff(before, _opening_texts((day, *span) for day, span in hours.items() if span is not None)),
        )


def _opening_texts(rows) -> dict[str, str]:
    """Opening hours as the audit log reads them: {"poniedziałek": "08:00–16:00", …}, closed
    days "nieczynne"."""
    hours = {day: f"{opens:%H:%M}–{closes:%H:%M}" for day, opens, closes in rows}
    return {name: hours.get(day, "nieczynne") for day, name in WEEKDAY_NAMES}


def create_room(provider, *, actor, location: Location, name: str) -> Room:
    """F8: a consulting room at one of the provider's locations; names are unique per location."""
    try:
        with transaction.atomic():
            room = Room.objects.create(provider=provider, location=location, name=name)
            record_audit(
                provider_id=provider.pk,
                action="room.created",
                target=room,
                summary=f"Dodano gabinet {room.name}",
                actor=actor,
            )
    except IntegrityError:
        raise OrgError(_("W tej lokalizacji jest już gabinet o tej nazwie.")) from None
    return room


def open_provider(*, name: str, nip: str, regon: str, email: str, phone: str, location: dict, admin) -> Provider:
    """A new tenant as the operator approved it (A1): the provider, its main location (number 1)
    and `admin` as its administrator; the caller holds the transaction. The slug is the name's,
    numbered when taken."""
    base = slugify(name)[:40] or "placowka"
    slug, number = base, 1
    while Provider.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    provider = Provider.objects.create(name=name[:200], slug=slug, nip=nip, regon=regon, email=email, phone=phone[:30])
    Location.unscoped.create(provider=provider, number=1, name=name[:200], **location)
    # Online registration waits for the subscription ("Włącz tryb demo" or "Kup", A4).
    RegistrationSettings.unscoped.create(provider=provider, online_registration=False)
    Membership.objects.create(user=admin, provider=provider, role=Membership.Role.ADMIN)
    record_audit(
        provider_id=provider.pk,
        action="provider.opened",
        target=provider,
        summary="Założono konto placówki po akceptacji wniosku o przystąpienie",
        actor=None,
        actor_label="operator",
    )
    return provider
