"""Lista rezerwowa (F7): freed slots go to the waiting patients first.

When a slot frees up (a cancellation, an expired hold) or a matching slot appears (new
schedule, found by the periodic match), the first waiting patients in order get an offer:
the slot is held for the offer's time, each patient gets a link, and the first to accept
books it in one transaction; the others are told it is gone. Nobody accepts: the hold runs
out and the slot is free for everyone again."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from terminarz.booking import capacity, channels, pipeline
from terminarz.booking.errors import BookingError
from terminarz.booking.models import Appointment, Source
from terminarz.core import clock
from terminarz.core.crypto import secret_hash_candidates
from terminarz.notifications.services import queue_email, queue_sms
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot
from terminarz.scheduling.search import open_q, open_slots

from .models import OFFER_TOKEN_PURPOSE, WaitlistEntry, WaitlistOffer


class OfferNotFound(Exception):
    pass


class OfferGone(Exception):
    """Another waiting patient was faster."""


class OfferExpired(Exception):
    pass


def join_waitlist(
    provider, *, practitioner=None, specialization=None, before=None, data: dict, account=None
) -> WaitlistEntry:
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            provider=provider,
            practitioner=practitioner,
            specialization=specialization,
            before=before,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data.get("phone", ""),
            account=account,
        )
        queue_email(
            provider=provider,
            kind="waitlist_joined",
            recipient=entry.email,
            template="waiting/email/joined",
            context={"entry": entry.pk},
            idempotency_key=f"waitlist_joined:{entry.pk}",
        )
    return entry


def leave_waitlist(entry: WaitlistEntry) -> None:
    WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.CANCELLED
    )


def matching_entries(slot: Slot, *, now: dt.datetime):
    """Waiting patients this slot suits, in the order they joined; one live offer each."""
    specializations = list(slot.practitioner.specializations.values_list("pk", flat=True))
    busy = WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OFFERED, expires_at__gt=now).values("entry_id")
    return (
        WaitlistEntry.objects.filter(provider_id=slot.provider_id, status=WaitlistEntry.Status.WAITING)
        .filter(
            Q(practitioner_id=slot.practitioner_id)
            | Q(practitioner__isnull=True, specialization_id__in=specializations)
        )
        .filter(Q(before__isnull=True) | Q(before__gte=slot.day))
        .exclude(pk__in=busy)
        .exclude(offers__slot_id=slot.pk)  # one offer of a slot per patient
        .order_by("created_at", "pk")
    )


def offer_slot(slot_id: int, *, now: dt.datetime | None = None) -> int:
    """Offer a free slot to the first waiting patients; returns how many got the offer."""
    now = now or clock.now()
    with transaction.atomic():
        slot = (
            Slot.objects.select_for_update(of=("self",))
            .select_related("practitioner", "unit__location", "provider")
            .filter(pk=slot_id)
            .first()
        )
        if slot is None or not Slot.objects.filter(Q(pk=slot_id) & open_q(now)).exists():
            return 0
        if not channels.offered(slot, Source.PORTAL, now=now) or not settings_for(slot.provider_id).online_registration:
            return 0
        entries = list(matching_entries(slot, now=now)[: settings.WAITLIST_OFFER_BATCH])
        if not entries:
            return 0
        expires = min(now + dt.timedelta(minutes=settings.WAITLIST_OFFER_MINUTES), slot.start)
        if not capacity.hold_open_slot(slot_id, now=now, until=expires):
            return 0
        for entry in entries:
            offer = WaitlistOffer.objects.create(entry=entry, slot=slot, expires_at=expires)
            queue_email(
                provider=slot.provider,
                kind="waitlist_offer",
                recipient=entry.email,
                template="waiting/email/offer",
                context={"offer": offer.pk},
                idempotency_key=f"waitlist_offer:{offer.pk}",
            )
            if entry.phone:
                queue_sms(
                    provider=slot.provider,
                    kind="waitlist_offer",
                    phone=entry.phone,
                    template="waiting/email/offer",
                    context={"offer": offer.pk},
                    idempotency_key=f"sms:waitlist_offer:{offer.pk}",
                )
    return len(entries)


def get_offer(token: str) -> WaitlistOffer:
    offer = (
        WaitlistOffer.objects.select_related("entry", "slot__practitioner", "slot__unit__location", "slot__block")
        .filter(token_hash__in=secret_hash_candidates(OFFER_TOKEN_PURPOSE, token))
        .first()
        if token
        else None
    )
    if offer is None:
        raise OfferNotFound
    return offer


def accept_offer(token: str, cleaned: dict, *, now: dt.datetime | None = None) -> Appointment:
    """The first to accept books the held slot; the other offered patients are told it is gone."""
    now = now or clock.now()
    offer = get_offer(token)
    if offer.status == WaitlistOffer.Status.ACCEPTED and offer.appointment_id:
        return Appointment.objects.get(pk=offer.appointment_id)
    if offer.status == WaitlistOffer.Status.GONE:
        raise OfferGone
    if offer.status == WaitlistOffer.Status.EXPIRED or offer.expires_at <= now:
        WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOffer.Status.OFFERED).update(
            status=WaitlistOffer.Status.EXPIRED
        )
        raise OfferExpired
    with transaction.atomic():
        # The offer row first: a double click waits here and then sees its own acceptance.
        locked = WaitlistOffer.objects.select_for_update().select_related("entry").get(pk=offer.pk)
        if locked.status == WaitlistOffer.Status.ACCEPTED and locked.appointment_id:
            return Appointment.objects.get(pk=locked.appointment_id)
        if locked.status != WaitlistOffer.Status.OFFERED:
            raise OfferGone
        if locked.entry.status != WaitlistEntry.Status.WAITING:
            raise OfferGone
        if not capacity.release_hold(offer.slot_id, held_until=offer.expires_at, now=now):
            WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOffer.Status.OFFERED).update(
                status=WaitlistOffer.Status.GONE, answered_at=now
            )
            raise OfferGone
        slot = Slot.objects.select_related("practitioner", "unit__location", "provider", "block").get(pk=offer.slot_id)
        rules = settings_for(slot.provider_id)
        pipeline.check_registration_open(rules, slot, channel=Source.PORTAL, account=offer.entry.account)
        request = pipeline.BookingRequest(slot_id=slot.pk, channel=Source.PORTAL, account=offer.entry.account, now=now)
        appointment = pipeline.book_locked(
            pipeline.Booking(request=request, now=now, slot=slot, rules=rules, cleaned=cleaned)
        )
        WaitlistOffer.objects.filter(pk=offer.pk).update(
            status=WaitlistOffer.Status.ACCEPTED, answered_at=now, appointment=appointment
        )
        WaitlistEntry.objects.filter(pk=offer.entry_id).update(status=WaitlistEntry.Status.BOOKED)
        for other in WaitlistOffer.objects.filter(slot_id=offer.slot_id, status=WaitlistOffer.Status.OFFERED).exclude(
            pk=offer.pk
        ):
            if not WaitlistOffer.objects.filter(pk=other.pk, status=WaitlistOffer.Status.OFFERED).update(
                status=WaitlistOffer.Status.GONE, answered_at=now
            ):
                continue
            queue_email(
                provider=slot.provider,
                kind="waitlist_gone",
                recipient=other.entry.email,
                template="waiting/email/gone",
                context={"offer": other.pk},
                idempotency_key=f"waitlist_gone:{other.pk}",
            )
    return appointment


def match_waitlist(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Periodic: expire old offers; offer each waiting patient the earliest matching free slot
    (covers new schedules and slots nobody took)."""
    now = now or clock.now()
    WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OFFERED, expires_at__lte=now).update(
        status=WaitlistOffer.Status.EXPIRED
    )
    busy = WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OFFERED, expires_at__gt=now).values("entry_id")
    offered = 0
    entries = (
        WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).exclude(pk__in=busy).order_by("created_at")
    )
    for entry in entries[:limit]:
        candidates = open_slots(now).filter(provider_id=entry.provider_id)
        if entry.practitioner_id:
            candidates = candidates.filter(practitioner_id=entry.practitioner_id)
        elif entry.specialization_id:
            candidates = candidates.filter(practitioner__specializations=entry.specialization_id)
        if entry.before:
            candidates = candidates.filter(day__lte=entry.before)
        for slot in candidates.order_by("start")[:5]:
            try:
                if offer_slot(slot.pk, now=now):
                    offered += 1
                    break
            except BookingError:
                continue
    return offered
