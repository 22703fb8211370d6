"""A2 and A5: what the platform operator approves after a provider joined.

- "Potwierdzam poprawność danych": the admin confirms the provider's data once.
- "Edytuj dane" afterwards: a change request with the diff; the live data changes only when the
  operator approves it; the provider is e-mailed the decision (with the reason when rejected).
  The address of an approved location changes the same way.
- A location the provider adds is "oczekująca" until the operator approves it (then it shows in
  the portal) or rejects it with a reason (the provider corrects it and it waits again).
Every status change goes through `machines.CHANGE` or `providers.machines.LOCATION`."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.notifications.registry import register_context
from terminarz.notifications.services import queue_email
from terminarz.providers.machines import LOCATION
from terminarz.providers.models import Location, LocationStatus, Provider
from terminarz.providers.voivodeships import VOIVODESHIP_CHOICES

from .machines import CHANGE
from .models import ChangeRequest, ChangeStatus
from .services import OnboardingError

C = ChangeStatus
PROVIDER_FIELDS = {
    "name": "Nazwa podmiotu",
    "nip": "NIP",
    "regon": "REGON",
    "email": "E-mail",
    "phone": "Telefon",
    "description": "Opis",
}
VOIVODESHIPS = dict(VOIVODESHIP_CHOICES)
IDENTITY_FIELDS = ("name", "nip", "regon")  # checked by the operator even before the confirmation
LOCATION_FIELDS = {
    "name": "Nazwa",
    "street": "Ulica i numer",
    "postal_code": "Kod pocztowy",
    "city": "Miejscowość",
    "voivodeship": "Województwo",
}


def confirm_data(provider: Provider, *, confirmed: bool, actor, now: dt.datetime | None = None) -> Provider:
    if not confirmed:
        raise OnboardingError(_("Zaznacz „Potwierdzam poprawność danych”."), field="confirm")
    now = now or clock.now()
    with transaction.atomic():
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        if locked.data_confirmed_at is None:
            locked.data_confirmed_at, locked.data_confirmed_by = now, actor
            locked.save(update_fields=["data_confirmed_at", "data_confirmed_by"])
            record_audit(
                provider_id=locked.pk,
                action="provider.data_confirmed",
                target=locked,
                summary="Potwierdzono poprawność danych placówki",
                actor=actor,
            )
    return locked


def edit_unconfirmed(provider: Provider, values: dict, *, actor) -> Provider:
    """Before the admin confirmed the data its contact fields are corrected in place (audited,
    before and after); the identity (name, NIP, REGON) changes only by a change request."""
    with transaction.atomic():
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        if locked.data_confirmed_at is not None:
            raise OnboardingError(_("Dane są już potwierdzone – zmiana wymaga zatwierdzenia przez operatora."))
        fields = [name for name in PROVIDER_FIELDS if name in values and name not in IDENTITY_FIELDS]
        before = {name: getattr(locked, name) for name in fields}
        for name in fields:
            setattr(locked, name, values[name])
        locked.save(update_fields=fields)
        record_audit(
            provider_id=locked.pk,
            action="provider.data_changed",
            target=locked,
            summary="Zmieniono dane placówki (przed potwierdzeniem)",
            actor=actor,
            changes={"before": before, "after": {name: values[name] for name in fields}},
        )
    return locked


def pending_for(provider: Provider, *, location: Location | None = None) -> ChangeRequest | None:
    target = ChangeRequest.Target.LOCATION if location else ChangeRequest.Target.PROVIDER
    return ChangeRequest.objects.filter(provider=provider, target=target, location=location, status=C.PENDING).first()


def request_provider_change(
    provider: Provider, values: dict, *, actor, now: dt.datetime | None = None
) -> ChangeRequest | None:
    return _request(provider, provider, PROVIDER_FIELDS, values, location=None, actor=actor, now=now)


def request_location_change(
    location: Location, values: dict, *, actor, now: dt.datetime | None = None
) -> ChangeRequest | None:
    if location.status != LocationStatus.APPROVED:
        raise OnboardingError(_("Ta lokalizacja nie jest jeszcze zatwierdzona – popraw ją bezpośrednio."))
    return _request(location.provider, location, LOCATION_FIELDS, values, location=location, actor=actor, now=now)


def _request(provider, obj, fields, values, *, location, actor, now) -> ChangeRequest | None:
    """None when nothing differs from the live data."""
    now = now or clock.now()
    before = {field: getattr(obj, field) for field in fields}
    proposed = {field: values[field] for field in fields if field in values and values[field] != before[field]}
    if not proposed:
        return None
    _check_nip(provider, proposed)
    with transaction.atomic():
        Provider.objects.select_for_update().get(pk=provider.pk)  # one pending request per target
        if pending_for(provider, location=location) is not None:
            raise OnboardingError(
                _("Poprzednia zmiana czeka na zatwierdzenie przez operatora. Wycofaj ją, aby złożyć nową.")
            )
        change = ChangeRequest.objects.create(
            provider=provider,
            target=ChangeRequest.Target.LOCATION if location else ChangeRequest.Target.PROVIDER,
            location=location,
            before={field: before[field] for field in proposed},
            proposed=proposed,
            status=C.PENDING,
            created_at=now,
            created_by=actor,
        )
        CHANGE.created(change, actor=actor, now=now)
    return change


def _check_nip(provider: Provider, proposed: dict) -> None:
    if proposed.get("nip") and Provider.objects.exclude(pk=provider.pk).filter(nip=proposed["nip"]).exists():
        raise OnboardingError(
            _("Ten NIP ma już inna placówka w Terminarzu. Jeśli to pomyłka, skontaktuj się z pomocą techniczną."),
            field="nip",
        )


def withdraw(change: ChangeRequest, *, actor, now: dt.datetime | None = None) -> None:
    with transaction.atomic():
        locked = ChangeRequest.objects.select_for_update().get(pk=change.pk)
        CHANGE.move(locked, C.WITHDRAWN, actor=actor, now=now)


def approve(change: ChangeRequest, *, actor, now: dt.datetime | None = None) -> ChangeRequest:
    """The proposed values become the live data, in the request's transaction."""
    now = now or clock.now()
    with transaction.atomic():
        locked = (
            ChangeRequest.unscoped.select_for_update(of=("self",))
            .select_related("provider", "location")
            .get(pk=change.pk)
        )
        target: Location | Provider = locked.location if locked.location is not None else locked.provider
        allowed = LOCATION_FIELDS if locked.location is not None else PROVIDER_FIELDS
        proposed = {field: value for field, value in locked.proposed.items() if field in allowed}
        if any(getattr(target, field) != value for field, value in locked.before.items() if field in allowed):
            raise OnboardingError(
                _("Dane zmieniły się od złożenia wniosku – odrzuć go, placówka złoży nowy na aktualnych danych.")
            )
        if locked.location is None:
            _check_nip(locked.provider, proposed)
        CHANGE.move(locked, C.APPROVED, actor=actor, now=now, decided_at=now, decided_by=actor)
        for field, value in proposed.items():
            setattr(target, field, value)
        try:
            with transaction.atomic():
                target.save(update_fields=list(proposed))  # saved: search's cached lookups hear of it
        except IntegrityError as error:  # the NIP was taken meanwhile
            raise OnboardingError(_("Ten NIP ma już inna placówka w Terminarzu.")) from error
        record_audit(
            provider_id=locked.provider_id,
            action="change_request.applied",
            target=target,
            summary=f"Operator zatwierdził zmianę: {locked.get_target_display()}",
            actor=actor,
            changes={"before": locked.before, "after": proposed},
        )
        _tell(locked.provider, "change_decided", {"change_id": locked.pk}, f"change:{locked.pk}")
        if "email" in proposed and locked.before.get("email"):  # the old address hears of it too
            _tell(
                locked.provider,
                "change_decided",
                {"change_id": locked.pk},
                f"change:{locked.pk}:previous",
                recipient=locked.before["email"],
            )
    return locked


def reject(change: ChangeRequest, *, actor, reason: str, now: dt.datetime | None = None) -> ChangeRequest:
    reason = " ".join(reason.split())
    if not reason:
        raise OnboardingError(_("Podaj powód odrzucenia – placówka go zobaczy."), field="reason")
    now = now or clock.now()
    with transaction.atomic():
        locked = ChangeRequest.unscoped.select_for_update().select_related("provider").get(pk=change.pk)
        CHANGE.move(locked, C.REJECTED, actor=actor, reason=reason, now=now, decided_at=now, decided_by=actor)
        ChangeRequest.unscoped.filter(pk=locked.pk).update(reason=reason[:500])
        locked.reason = reason[:500]
        _tell(locked.provider, "change_decided", {"change_id": locked.pk}, f"change:{locked.pk}")
    return locked


def decide_location(
    location: Location,
    *,
    accept: bool,
    actor,
    reason: str = "",
    seen: str = "",
    now: dt.datetime | None = None,
) -> Location:
    """A5: an approved location shows in the portal at once; a rejected one says why. `seen` is
    the `requested_at` of the data the operator looked at: a location corrected since then is
    not decided blindly."""
    reason = " ".join(reason.split())
    if not accept and not reason:
        raise OnboardingError(_("Podaj powód odrzucenia – placówka go zobaczy."), field="reason")
    now = now or clock.now()
    with transaction.atomic():
        locked = Location.unscoped.select_for_update().select_related("provider").get(pk=location.pk)
        if seen and (locked.requested_at is None or locked.requested_at.isoformat() != seen):
            raise OnboardingError(_("Placówka poprawiła tę lokalizację w międzyczasie – sprawdź ją ponownie."))
        if accept:
            LOCATION.move(locked, LocationStatus.APPROVED, actor=actor, now=now, rejection_reason="")
            locked.is_visible = True
            locked.save(update_fields=["is_visible"])  # saved: search's cached lookups hear of it
        else:
            LOCATION.move(
                locked, LocationStatus.REJECTED, actor=actor, reason=reason, now=now, rejection_reason=reason[:500]
            )
        key = f"location:{locked.pk}:{locked.status}:{now.isoformat()}"
        # The decision travels with the message: the e-mail is rendered later, when the
        # location may have moved on (rejected, corrected, approved).
        decision = {"location_id": locked.pk, "accepted": accept, "reason": locked.rejection_reason}
        _tell(locked.provider, "location_decided", decision, key)
    return locked


def diff(change: ChangeRequest) -> list[tuple[str, str, str]]:
    """(field label, before, after) for the screens and the e-mail."""
    labels = LOCATION_FIELDS if change.target == ChangeRequest.Target.LOCATION else PROVIDER_FIELDS

    def shown(field: str, value: str) -> str:
        return VOIVODESHIPS.get(value, value) if field == "voivodeship" else value

    return [
        (labels.get(field, field), shown(field, change.before.get(field, "")), shown(field, value))
        for field, value in change.proposed.items()
    ]


def _tell(provider: Provider, kind: str, context: dict, key: str, recipient: str = "") -> None:
    recipient = recipient or provider.email
    if recipient:
        queue_email(
            provider=provider,
            kind=kind,
            recipient=recipient,
            template=f"onboarding/email/{kind}",
            context=context,
            idempotency_key=f"{kind}:{key}",
        )


@register_context("change_decided")
def change_context(stored: dict) -> dict:
    change = ChangeRequest.unscoped.select_related("provider", "location").get(pk=stored["change_id"])
    return {"change": change, "rows": diff(change)}


@register_context("location_decided")
def location_context(stored: dict) -> dict:
    location = Location.unscoped.select_related("provider").get(pk=stored["location_id"])
    return {"location": location, "accepted": stored["accepted"], "reason": stored["reason"]}
