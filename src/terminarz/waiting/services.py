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
from terminarz.core import clock, events
from terminarz.core.audit import record_audit
from terminarz.core.crypto import secret_hash_candidates
from terminarz.core.statemachine import TransitionRefused
from terminarz.notifications.services import queue_email, queue_email_and_sms
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot
from terminarz.scheduling.search import open_q, open_slots

from .machines import ENTRY, OFFER, QUEUE, expire_due_offers
from .models import OFFER_TOKEN_PURPOSE, QueueEntry, WaitlistEntry, WaitlistOffer


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
        ENTRY.created(entry, actor=account, actor_label="patient")
        queue_email(
            provider=provider,
            kind="waitlist_joined",
            recipient=entry.email,
            template="waiting/email/joined",
            context={"entry": entry.pk},
            idempotency_key=f"waitlist_joined:{entry.pk}",
        )
    return entry


def add_to_waitlist(
    provider, *, actor, patient, practitioner=None, specialization=None, after=None, before=None
) -> WaitlistEntry:
    """F7: the registrar puts a patient of the records on the waiting list (a practitioner or a
    specialization, optionally a range of days); the patient gets the same notice as one who
    joined online, and matching slots are offered alike."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            provider=provider,
            practitioner=practitioner,
            specialization=specialization,
            after=after,
            before=before,
            first_name=patient.first_name,
            last_name=patient.last_name,
            email=patient.email or "",
            phone=patient.phone or "",
            patient=patient,
        )
        ENTRY.created(entry, actor=actor)
        record_audit(
            provider_id=provider.pk,
            action="waitlist.added",
            target=entry,
            summary="Zapisano pacjenta na listę rezerwową"
            + (f", termin od {after:%d.%m.%Y}" if after else "")
            + (f", termin do {before:%d.%m.%Y}" if before else ""),
            actor=actor,
            changes={"patient": patient.pk},
        )
        if entry.email:
            queue_email(
                provider=provider,
                kind="waitlist_joined",
                recipient=entry.email,
                template="waiting/email/joined",
                context={"entry": entry.pk},
                idempotency_key=f"waitlist_joined:{entry.pk}",
                patient=patient,
            )
    return entry


def leave_waitlist(entry: WaitlistEntry, *, now: dt.datetime | None = None, actor_label: str = "patient") -> None:
    """The patient leaves by the link in the e-mail; leaving again changes nothing. An offer
    they still had ends with them, and a slot held for nobody else is free again at once."""
    if not ENTRY.can(entry, WaitlistEntry.Status.CANCELLED):
        return
    now = now or clock.now()
    with transaction.atomic():
        try:
            ENTRY.move(entry, WaitlistEntry.Status.CANCELLED, actor_label=actor_label, reason="wypisanie z listy")
        except TransitionRefused:
            return  # changed in the meantime (booked, or left in another tab): the page shows the status
        _end_offers_of(entry, now=now)


def _end_offers_of(entry: WaitlistEntry, *, now: dt.datetime) -> None:
    for offer in WaitlistOffer.objects.select_for_update().filter(entry=entry, status=WaitlistOffer.Status.OFFERED):
        OFFER.move(offer, WaitlistOffer.Status.GONE, actor_label="patient", reason="wypisanie z listy", now=now)
        still_offered = WaitlistOffer.objects.filter(
            slot_id=offer.slot_id, status=WaitlistOffer.Status.OFFERED, expires_at__gt=now
        ).exists()
        if not still_offered and capacity.release_hold(offer.slot_id, held_until=offer.expires_at, now=now):
            events.emit(events.SLOT_RELEASED, slot_id=offer.slot_id, provider_id=entry.provider_id, reason="offer_left")


def remove_from_waitlist(entry: WaitlistEntry, *, actor) -> None:
    """The back-office takes a waiting patient off the list (refused when no longer waiting)."""
    with transaction.atomic():
        ENTRY.move(entry, WaitlistEntry.Status.CANCELLED, actor=actor)
        record_audit(
            provider_id=entry.provider_id,
            action="waitlist.removed",
            target=entry,
            summary="Usunięto wpis z listy rezerwowej",
            actor=actor,
        )


def add_to_queue(provider, *, actor, unit, patient, category: str, note: str = "") -> QueueEntry:
    """The registrar enters a patient in a unit's NFZ waiting queue (F7)."""
    with transaction.atomic():
        entry = QueueEntry.objects.create(
            provider=provider, unit=unit, patient=patient, category=category, note=note, created_by=actor
        )
        QUEUE.created(entry, actor=actor)
        record_audit(
            provider_id=provider.pk,
            action="queue.added",
            target=entry,
            summary=f"Wpisano do kolejki oczekujących ({entry.get_category_display()}) – {entry.unit.name}",
            actor=actor,
        )
    return entry


def change_queue_entry(entry: QueueEntry, *, actor, status: str, category: str) -> QueueEntry:
    """Status (through the machine) and category of a queue entry, audited as one change."""
    with transaction.atomic():
        before = {"status": entry.status, "category": entry.category}
        if status != entry.status:
            QUEUE.move(entry, status, actor=actor)
        if category != entry.category:
            QueueEntry.objects.filter(pk=entry.pk).update(category=category)
            entry.category = category
        record_audit(
            provider_id=entry.provider_id,
            action="queue.changed",
            target=entry,
            summary=f"Zmieniono wpis w kolejce oczekujących – {entry.unit.name}",
            actor=actor,
            changes={"before": before, "after": {"status": status, "category": category}},
        )
    return entry


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
        .filter(Q(after__isnull=True) | Q(after__lte=slot.day))
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
            OFFER.created(offer, now=now)
            queue_email_and_sms(
                provider=slot.provider,
                kind="waitlist_offer",
                template="waiting/email/offer",
                context={"offer": offer.pk},
                key=f"waitlist_offer:{offer.pk}",
                email=entry.email,
                phone=entry.phone,
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


def accept_offer(token: str, cleaned: dict, *, now: dt.datetime | None = None, language: str = "pl") -> Appointment:
    """The first to accept books the held slot; the other offered patients are told it is gone."""
    now = now or clock.now()
    offer = get_offer(token)
    if offer.status == WaitlistOffer.Status.ACCEPTED and offer.appointment_id:
        return Appointment.objects.get(pk=offer.appointment_id)
    if offer.status == WaitlistOffer.Status.GONE:
        raise OfferGone
    if offer.status == WaitlistOffer.Status.EXPIRED or offer.expires_at <= now:
        _close_offer(offer, WaitlistOffer.Status.EXPIRED, now=now, reason="czas na odpowiedź minął")
        raise OfferExpired
    with transaction.atomic():
        # The offer row first (and its entry): a double click waits here and then sees its
        # own acceptance.
        locked = WaitlistOffer.objects.select_for_update().select_related("entry").get(pk=offer.pk)
        if locked.status == WaitlistOffer.Status.ACCEPTED and locked.appointment_id:
            return Appointment.objects.get(pk=locked.appointment_id)
        if locked.status != WaitlistOffer.Status.OFFERED:
            raise OfferGone
        if locked.entry.status != WaitlistEntry.Status.WAITING:
            raise OfferGone
        held = capacity.release_hold(offer.slot_id, held_until=offer.expires_at, now=now)
        if held:
            appointment = _book_offered_slot(locked, cleaned, now=now, language=language)
    if not held:
        # The hold is gone (taken by someone else): this offer is over, recorded outside the
        # booking's transaction so that raising keeps it.
        _close_offer(offer, WaitlistOffer.Status.GONE, now=now, reason="termin zajęty", answered_at=now)
        raise OfferGone
    return appointment


def _close_offer(offer: WaitlistOffer, to_state: str, *, now: dt.datetime, reason: str, **fields) -> None:
    """An open offer ends without a booking; one already decided stays as it is."""
    if not OFFER.can(offer, to_state):
        return
    with transaction.atomic():
        try:
            OFFER.move(offer, to_state, actor_label="system", reason=reason, now=now, **fields)
        except TransitionRefused:
            pass  # decided in the meantime (accepted, gone or expired by the periodic job)


def _book_offered_slot(offer: WaitlistOffer, cleaned: dict, *, now: dt.datetime, language: str) -> Appointment:
    """Inside the acceptance's transaction, with the offer and its entry locked."""
    entry = offer.entry
    # Every online rule applies as when booking from the portal (the slot may have left the
    # portal, registration may be off since the offer was sent); the patient answered the
    # offer, so it is confirmed at once (no multi-step hold).
    request = pipeline.BookingRequest(
        slot_id=offer.slot_id,
        channel=Source.PORTAL,
        data=cleaned,
        account=entry.account,
        now=now,
        language=language,
    )
    appointment = pipeline.book_locked(pipeline.checked(request, skip=frozenset({"multi_step_hold"})))
    actor = entry.account
    OFFER.move(
        offer,
        WaitlistOffer.Status.ACCEPTED,
        actor=actor,
        actor_label="patient",
        now=now,
        answered_at=now,
        appointment=appointment,
    )
    ENTRY.move(entry, WaitlistEntry.Status.BOOKED, actor=actor, actor_label="patient", now=now)
    others = (
        WaitlistOffer.objects.filter(slot_id=offer.slot_id, status=WaitlistOffer.Status.OFFERED)
        .exclude(pk=offer.pk)
        .select_related("entry")
    )
    for other in others:
        try:
            OFFER.move(
                other, WaitlistOffer.Status.GONE, actor_label="system", reason="termin zajęty", now=now, answered_at=now
            )
        except TransitionRefused:
            continue  # decided in the meantime
        queue_email(
            provider=appointment.provider,
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
    expire_due_offers(now=now)
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
        if entry.after:
            candidates = candidates.filter(day__gte=entry.after)
        for slot in candidates.order_by("start")[:5]:
            try:
                if offer_slot(slot.pk, now=now):
                    offered += 1
                    break
            except BookingError:
                continue
    return offered
