"""K3: a practitioner's visits as an iCalendar feed (RFC 5545) behind a secret, revocable link.

The feed lists the visits from 30 days back to 90 days ahead; each keeps its UID (the booking
reference), so a moved visit moves in the subscriber's calendar and a cancelled one is marked
CANCELLED there. It carries no patient data – the time, the unit, the service and the booking
reference only – since a subscribed calendar lives at a third party."""

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from icalendar import Calendar, Event

from terminarz.core import clock
from terminarz.core.audit import record_audit

from .models import Appointment, AppointmentStatus, CalendarFeed

PAST_DAYS = 30
AHEAD_DAYS = 90
SHOWN = (AppointmentStatus.HELD, AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
CANCELLED = (AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current(practitioner) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(practitioner=practitioner, revoked_at__isnull=True).first()


def create(practitioner, *, actor, now: dt.datetime | None = None) -> str:
    """A new secret link (the token, shown once); the practitioner's earlier link stops working."""
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.select_for_update().filter(practitioner=practitioner, revoked_at__isnull=True).update(
            revoked_at=now
        )
        feed = CalendarFeed.objects.create(
            provider_id=practitioner.provider_id,
            practitioner=practitioner,
            token_hash=_hash(token),
            created_at=now,
            created_by=actor,
        )
        record_audit(
            provider_id=practitioner.provider_id,
            action="calendar_feed.created",
            target=feed,
            summary=f"Nowy link kalendarza internetowego: {practitioner.full_name}",
            actor=actor,
            at=now,
        )
    return token


def revoke(practitioner, *, actor, now: dt.datetime | None = None) -> bool:
    now = now or clock.now()
    with transaction.atomic():
        feed = current(practitioner)
        if feed is None:
            return False
        CalendarFeed.objects.filter(pk=feed.pk).update(revoked_at=now)
        record_audit(
            provider_id=practitioner.provider_id,
            action="calendar_feed.revoked",
            target=feed,
            summary=f"Wyłączono link kalendarza internetowego: {practitioner.full_name}",
            actor=actor,
            at=now,
        )
    return True


def find(token: str) -> CalendarFeed | None:
    """The open feed of this token (any scope: the caller is the public endpoint)."""
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.unscoped.filter(token_hash=_hash(token), revoked_at__isnull=True)
        .select_related("practitioner", "provider")
        .first()
    )


def feed_ics(feed: CalendarFeed, *, now: dt.datetime | None = None) -> bytes:
    now = now or clock.now()
    visits = (
        Appointment.unscoped.filter(
            practitioner_id=feed.practitioner_id,
            start__gte=now - dt.timedelta(days=PAST_DAYS),
            start__lt=now + dt.timedelta(days=AHEAD_DAYS),
            status__in=(*SHOWN, *CANCELLED),
        )
        .select_related("unit__location", "slot")
        .order_by("start")
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Terminarz//Kalendarz personelu//PL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{feed.practitioner.full_name} – {feed.provider.name}")
    calendar.add("x-wr-timezone", "Europe/Warsaw")
    for visit in visits:
        event = Event()
        event.add("uid", f"{visit.reference}@terminarz")
        event.add("dtstamp", now)
        event.add("dtstart", visit.start)
        event.add("dtend", visit.end)
        televisit = visit.slot.televisit == "only" if visit.slot_id else False
        event.add("summary", f"Wizyta – {visit.unit.name}" + (" (teleporada)" if televisit else ""))
        event.add("location", "Teleporada" if televisit else visit.unit.location.address)
        event.add("description", f"Numer rezerwacji: {visit.reference}")
        event.add("status", "CANCELLED" if visit.status in CANCELLED else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
