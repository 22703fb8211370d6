"""K3: a practitioner's visits, or a patient account's, as an iCalendar feed (RFC 5545) behind a
secret, revocable link.

The feed lists the visits from 30 days back to 90 days ahead; each keeps its UID (the booking
reference), so a moved visit moves in the subscriber's calendar and a cancelled one is marked
CANCELLED there. The practitioner's carries no patient data – the time, the unit, the service and
the booking reference only – since a subscribed calendar lives at a third party. The patient's
names the practitioner, the place and the clinic's phone, never the patient (nor PESEL or
contacts): it is the patient's own calendar, but still kept by a third party."""

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from terminarz.accounts.household import household
from terminarz.core import clock
from terminarz.core.audit import record_audit

from .models import AccountCalendarFeed, Appointment, AppointmentStatus, CalendarFeed

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


def find(token: str) -> CalendarFeed | AccountCalendarFeed | None:
    """The open feed of this token, a practitioner's or an account's (any scope: the caller is
    the public endpoint)."""
    if not token or len(token) > 100:
        return None
    digest = _hash(token)
    found = (
        CalendarFeed.unscoped.filter(token_hash=digest, revoked_at__isnull=True)
        .select_related("practitioner", "provider")
        .first()
    )
    if found is not None:
        return found
    feed = (
        AccountCalendarFeed.objects.filter(token_hash=digest, revoked_at__isnull=True, account__is_active=True)
        .select_related("account", "created_by")
        .first()
    )
    # A guardian's link to a dependent's visits ends when the guardian no longer acts for them
    # (the dependent took the account over, the guardian's account is gone).
    if feed is None or feed.created_by is None or feed.account not in household(feed.created_by):
        return None
    return feed


# -- a patient account's feed ------------------------------------------------------------------


def current_for_account(account) -> AccountCalendarFeed | None:
    return AccountCalendarFeed.objects.filter(account=account, revoked_at__isnull=True).first()


def create_for_account(account, *, by, language: str = "pl", now: dt.datetime | None = None) -> str:
    """A new secret link for the account (the token, shown once), made by the account or its
    guardian (`by`); its earlier link stops."""
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        AccountCalendarFeed.objects.select_for_update().filter(account=account, revoked_at__isnull=True).update(
            revoked_at=now
        )
        AccountCalendarFeed.objects.create(
            account=account, created_by=by, token_hash=_hash(token), language=language[:8], created_at=now
        )
    return token


def revoke_for_account(account, *, now: dt.datetime | None = None) -> bool:
    now = now or clock.now()
    return bool(AccountCalendarFeed.objects.filter(account=account, revoked_at__isnull=True).update(revoked_at=now))


def feed_ics(feed: CalendarFeed | AccountCalendarFeed, *, now: dt.datetime | None = None) -> bytes:
    if isinstance(feed, AccountCalendarFeed):
        with translation.override(feed.language):
            return _account_ics(feed, now=now or clock.now())
    return _practitioner_ics(feed, now=now or clock.now())


def _visits(now: dt.datetime, **owner):
    """The owner's visits in the feed's window (30 days back, 90 ahead), cancelled ones too."""
    return (
        Appointment.unscoped.filter(
            **owner,
            start__gte=now - dt.timedelta(days=PAST_DAYS),
            start__lt=now + dt.timedelta(days=AHEAD_DAYS),
            status__in=(*SHOWN, *CANCELLED),
        )
        .select_related("unit__location", "slot", "practitioner", "provider")
        .order_by("start")
    )


def _calendar(product: str, name: str, events, *, now: dt.datetime) -> bytes:
    """One VCALENDAR of (visit, summary, location, description) rows: the UID is the booking
    reference, so a moved or cancelled visit updates in the subscriber's calendar."""
    calendar = Calendar()
    calendar.add("prodid", f"-//Terminarz//{product}//PL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Warsaw")
    for visit, summary, location, description in events:
        event = Event()
        event.add("uid", f"{visit.reference}@terminarz")
        event.add("dtstamp", now)
        event.add("dtstart", visit.start)
        event.add("dtend", visit.end)
        event.add("summary", summary)
        event.add("location", location)
        event.add("description", description)
        event.add("status", _ical_status(visit.status))
        calendar.add_component(event)
    return calendar.to_ical()


def _televisit(visit) -> bool:
    return visit.slot.televisit == "only" if visit.slot_id else False


def _account_ics(feed: AccountCalendarFeed, *, now: dt.datetime) -> bytes:
    def rows():
        for visit in _visits(now, account_id=feed.account_id):
            televisit = _televisit(visit)
            summary = _("Wizyta: %(who)s (%(unit)s)") % {"who": visit.practitioner.full_name, "unit": visit.unit.name}
            details = [visit.provider.name, _("Numer rezerwacji: %(ref)s") % {"ref": visit.reference}]
            if visit.provider.phone:
                details.append(_("Tel. %(phone)s") % {"phone": visit.provider.phone})
            yield (
                visit,
                summary + (" – " + _("teleporada") if televisit else ""),
                _("Teleporada") if televisit else visit.unit.location.address,
                "\n".join(details),
            )

    return _calendar("Moje wizyty", _("Moje wizyty – Terminarz"), rows(), now=now)


def _practitioner_ics(feed: CalendarFeed, *, now: dt.datetime) -> bytes:
    def rows():
        for visit in _visits(now, practitioner_id=feed.practitioner_id):
            televisit = _televisit(visit)
            yield (
                visit,
                f"Wizyta – {visit.unit.name}" + (" (teleporada)" if televisit else ""),
                "Teleporada" if televisit else visit.unit.location.address,
                f"Numer rezerwacji: {visit.reference}",
            )

    name = f"{feed.practitioner.full_name} – {feed.provider.name}"
    return _calendar("Kalendarz personelu", name, rows(), now=now)


def _ical_status(status: str) -> str:
    if status in CANCELLED:
        return "CANCELLED"
    return "TENTATIVE" if status == AppointmentStatus.HELD else "CONFIRMED"
