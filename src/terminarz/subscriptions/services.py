"""A4, in the seed's order: "Włącz tryb demo" (3 months, free) or "Kup" (12 months) with "Ilość"
= schedules that may be published online → (for "Kup") the invoice choice with a preview of the
data ("Zatwierdź" / "Aktualizuj dane") → the payment → "Włącz". Online registration is on while
a subscription is active; publishing a schedule beyond its quantity is refused (a guard the
scheduling asks inside its transaction, with the provider row locked, so two publications cannot
both take the last place); at the end of the validity online registration switches off by
itself (slots leave the portal, bookings made stay); the admin is warned 14 and 3 days before."""

import datetime as dt
import re
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.core.statemachine import TransitionRefused
from terminarz.notifications.registry import register_context
from terminarz.notifications.services import queue_email
from terminarz.payments.invoicing.document import PAYMENT_ONLINE, InvoiceData, Line, Party, from_json, to_json
from terminarz.payments.invoicing.fa3 import fa3_xml
from terminarz.payments.invoicing.pdf import invoice_pdf
from terminarz.providers.models import Provider
from terminarz.scheduling.models import Schedule
from terminarz.scheduling.publication import PublicationRefused

from .machines import SUBSCRIPTION
from .models import PlatformInvoice, PlatformInvoiceCounter, Subscription, SubscriptionKind, SubscriptionStatus

S = SubscriptionStatus
MONTHS = {SubscriptionKind.DEMO: 3, SubscriptionKind.FULL: 12}
WARN_DAYS = (14, 3)


class SubscriptionError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.errors = {field: [message]}


def price_per_schedule() -> Decimal:
    """The price of one schedule published online for 12 months (PLN, gross)."""
    return Decimal(str(settings.TERMINARZ_SUBSCRIPTION_PRICE))


def active(provider_id: int) -> Subscription | None:
    return Subscription.unscoped.filter(provider_id=provider_id, status=S.ACTIVE).first()


def published_count(provider_id: int, today: dt.date, *, exclude: int | None = None) -> int:
    """Schedules published online that are still valid (they count against the quantity)."""
    from django.db.models import Q

    schedules = Schedule.unscoped.filter(provider_id=provider_id, is_published_online=True).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )
    if exclude is not None:
        schedules = schedules.exclude(pk=exclude)
    return schedules.count()


def check_quota(schedule: Schedule) -> None:
    """The publication guard (registered in `AppConfig.ready`). Takes the provider row lock:
    two schedules published at once for the last place queue here and the second is refused."""
    Provider.objects.select_for_update(no_key=True).get(pk=schedule.provider_id)
    if schedule.valid_to is not None and schedule.valid_to < clock.local_today():
        return  # a past schedule takes no place
    current = active(schedule.provider_id)
    if current is None:
        raise PublicationRefused(
            _(
                "Rejestracja on-line nie jest włączona, więc terminarza nie można opublikować. "
                "Włącz tryb demo albo kup abonament w Ustawienia → Abonament rejestracji on-line."
            )
        )
    used = published_count(schedule.provider_id, clock.local_today(), exclude=schedule.pk)
    if used + 1 > current.quantity:
        raise PublicationRefused(
            ngettext(
                "Abonament obejmuje %(n)d terminarz publikowany online i jest on już wykorzystany. "
                "Wyłącz publikację innego terminarza albo zamów abonament na większą „Ilość”.",
                "Abonament obejmuje %(n)d terminarzy publikowanych online i wszystkie są już wykorzystane. "
                "Wyłącz publikację innego terminarza albo zamów abonament na większą „Ilość”.",
                current.quantity,
            )
            % {"n": current.quantity}
        )


def _check_covers_published(provider_id: int, quantity: int, now: dt.datetime) -> None:
    """A subscription smaller than what is published now would leave schedules over the quota."""
    published = published_count(provider_id, clock.local_today(at=now))
    if quantity < published:
        raise SubscriptionError(
            ngettext(
                "Online jest teraz opublikowany %(n)d terminarz – „Ilość” nie może być mniejsza. "
                "Najpierw wyłącz publikację nadmiarowych terminarzy.",
                "Online jest teraz opublikowanych %(n)d terminarzy – „Ilość” nie może być mniejsza. "
                "Najpierw wyłącz publikację nadmiarowych terminarzy.",
                published,
            )
            % {"n": published},
            field="quantity",
        )


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= 500:
        raise SubscriptionError(_("„Ilość” to liczba terminarzy od 1 do 500."), field="quantity")


def enable_demo(provider: Provider, *, quantity: int, actor, now: dt.datetime | None = None) -> Subscription:
    """ "Włącz tryb demo": free for 3 months from now, once per provider; online registration on."""
    now = now or clock.now()
    _check_quantity(quantity)
    with transaction.atomic():
        Provider.objects.select_for_update(no_key=True).get(pk=provider.pk)
        if Subscription.unscoped.filter(provider=provider, kind=SubscriptionKind.DEMO).exists():
            raise SubscriptionError(
                _("Tryb demo można włączyć tylko raz. Kup abonament, aby dalej korzystać z usługi.")
            )
        if active(provider.pk) is not None:
            raise SubscriptionError(_("Abonament jest już aktywny."))
        today = clock.local_today(at=now)
        subscription = Subscription.unscoped.create(
            provider=provider,
            kind=SubscriptionKind.DEMO,
            quantity=quantity,
            status=S.ACTIVE,
            valid_from=today,
            valid_to=today + relativedelta(months=MONTHS[SubscriptionKind.DEMO]),
            ordered_at=now,
            ordered_by=actor,
            activated_at=now,
        )
        SUBSCRIPTION.created(subscription, actor=actor, now=now)
        _online(provider.pk, True, actor=actor, now=now)
    return subscription


def grant(provider: Provider, *, quantity: int, actor, now: dt.datetime | None = None) -> Subscription:
    """The operator switches on a 12-month subscription paid outside the platform (a bank
    transfer after an invoice): active at once; an active demo ends then."""
    now = now or clock.now()
    _check_quantity(quantity)
    with transaction.atomic():
        Provider.objects.select_for_update(no_key=True).get(pk=provider.pk)
        _check_covers_published(provider.pk, quantity, now)
        valid_from, valid_to = _full_period(provider.pk, now)
        _end_current(provider.pk, actor=actor, now=now)
        subscription = Subscription.unscoped.create(
            provider=provider,
            kind=SubscriptionKind.FULL,
            quantity=quantity,
            status=S.ACTIVE,
            valid_from=valid_from,
            valid_to=valid_to,
            amount=price_per_schedule() * quantity,
            ordered_at=now,
            ordered_by=actor,
            activated_at=now,
        )
        SUBSCRIPTION.created(subscription, actor=actor, now=now, reason="włączony przez operatora")
        _online(provider.pk, True, actor=actor, now=now)
    return subscription


def _full_period(provider_id: int, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """12 months from today – or, renewing a paid subscription still running, from the day after
    it ends (no paid day is lost; the new quantity applies at once). A demo ends today."""
    today = clock.local_today(at=now)
    current = active(provider_id)
    start = today
    if current is not None and current.kind == SubscriptionKind.FULL and current.valid_to and current.valid_to >= today:
        start = current.valid_to + dt.timedelta(days=1)
    return start, start + relativedelta(months=MONTHS[SubscriptionKind.FULL])


def _end_current(provider_id: int, *, actor, now: dt.datetime) -> None:
    """The subscription a new one replaces ends today (one active at a time)."""
    current = active(provider_id)
    if current is not None:
        SUBSCRIPTION.move(current, S.EXPIRED, actor=actor, now=now, reason="zastąpiona nową umową")


def _online(provider_id: int, on: bool, *, actor, now: dt.datetime) -> None:
    """The provider's "Rejestracja on-line" follows the subscription (saved, so the search's
    cached lookups hear of it)."""
    from terminarz.providers.models import settings_for

    registration = settings_for(provider_id)
    if registration.online_registration != on:
        registration.online_registration = on
        registration.save(update_fields=["online_registration"])
        record_audit(
            provider_id=provider_id,
            action="subscription.online_on" if on else "subscription.online_off",
            target=registration,
            summary="Rejestracja on-line włączona (abonament)"
            if on
            else "Rejestracja on-line wyłączona: abonament wygasł",
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label="" if getattr(actor, "pk", None) else "system",
            changes={"online_registration": [not on, on]},
            at=now,
        )


def may_switch_online_on(provider_id: int) -> bool:
    return active(provider_id) is not None


def expire_due(*, now: dt.datetime | None = None) -> int:
    """Active subscriptions past their validity expire; online registration goes off."""
    now = now or clock.now()
    today = clock.local_today(at=now)
    expired = 0
    for subscription in Subscription.unscoped.filter(status=S.ACTIVE, valid_to__lt=today):
        with transaction.atomic():
            Provider.objects.select_for_update(no_key=True).get(pk=subscription.provider_id)
            try:
                SUBSCRIPTION.move(subscription, S.EXPIRED, actor_label="system", now=now)
            except TransitionRefused:  # moved meanwhile: nothing to do
                continue
            if active(subscription.provider_id) is None:
                _online(subscription.provider_id, False, actor=None, now=now)
            _tell(subscription, "subscription_expired", now)
            expired += 1
    return expired


def send_warnings(*, now: dt.datetime | None = None) -> int:
    """ "Abonament wygasa za 14 dni" and "… za 3 dni": once each, to the provider's address."""
    now = now or clock.now()
    today = clock.local_today(at=now)
    sent = 0
    for days, field in ((3, "warned_3_at"), (14, "warned_14_at")):
        due = Subscription.unscoped.filter(
            status=S.ACTIVE,
            valid_to__lte=today + dt.timedelta(days=days),
            valid_to__gte=today,
            **{f"{field}__isnull": True},
        )
        for subscription in due:
            with transaction.atomic():
                claimed = Subscription.unscoped.filter(pk=subscription.pk, **{f"{field}__isnull": True}).update(
                    **{field: now}
                )
                if claimed:
                    if field == "warned_3_at":  # the 14-day warning is not sent after the 3-day one
                        Subscription.unscoped.filter(pk=subscription.pk, warned_14_at__isnull=True).update(
                            warned_14_at=now
                        )
                    _tell(subscription, "subscription_expiring", now, days=days)
                    sent += 1
    return sent


def _tell(subscription: Subscription, kind: str, now: dt.datetime, **extra) -> None:
    """To the provider's address and its administrators' (each once)."""
    from terminarz.providers.models import Membership

    provider = subscription.provider
    admins = Membership.objects.filter(provider=provider, role=Membership.Role.ADMIN).values_list(
        "user__email", flat=True
    )
    for recipient in sorted({address.lower() for address in [provider.email, *admins] if address}):
        queue_email(
            provider=provider,
            kind=kind,
            recipient=recipient,
            template=f"subscriptions/email/{kind.removeprefix('subscription_')}",
            context={"subscription_id": subscription.pk, **extra},
            idempotency_key=f"{kind}:{subscription.pk}:{extra.get('days', '')}:{recipient}",
        )


@register_context("subscription_expiring")
@register_context("subscription_expired")
def subscription_context(stored: dict) -> dict:
    subscription = Subscription.unscoped.select_related("provider").get(pk=stored["subscription_id"])
    return {"subscription": subscription, "days": stored.get("days")}


# -- "Kup": the order, the invoice data, the payment at the gateway, "Włącz" ----------------
GATEWAY = "przelewy24"
SESSION = re.compile(r"^TZA(\d+)X[0-9A-F]+$")


def gateway_name() -> str:
    return str(getattr(settings, "TERMINARZ_SUBSCRIPTION_GATEWAY", GATEWAY))


def order(provider: Provider, *, quantity: int, actor, now: dt.datetime | None = None) -> Subscription:
    """ "Kup" → "Ilość": a 12-month order for `quantity` schedules (an earlier unpaid order is
    cancelled: one open order at a time)."""
    now = now or clock.now()
    _check_quantity(quantity)
    _check_covers_published(provider.pk, quantity, now)
    with transaction.atomic():
        Provider.objects.select_for_update(no_key=True).get(pk=provider.pk)
        for stale in Subscription.unscoped.filter(provider=provider, status=S.ORDERED):
            if stale.session_id:  # a payment may be on its way: that order stays
                raise SubscriptionError(
                    _("Poprzednie zamówienie czeka na płatność. Dokończ je albo poczekaj na potwierdzenie płatności.")
                )
            SUBSCRIPTION.move(stale, S.CANCELLED, actor=actor, now=now, reason="zastąpione nowym zamówieniem")
        subscription = Subscription.unscoped.create(
            provider=provider,
            kind=SubscriptionKind.FULL,
            quantity=quantity,
            status=S.ORDERED,
            amount=price_per_schedule() * quantity,
            ordered_at=now,
            ordered_by=actor,
        )
        SUBSCRIPTION.created(subscription, actor=actor, now=now)
    return subscription


INVOICE_FIELDS = ("name", "nip", "street", "postal_code", "city")


def invoice_preview(provider: Provider) -> dict:
    """The buyer's data as the platform knows it (the main location's address)."""
    location = provider.locations.order_by("number").first()
    return {
        "name": provider.name,
        "nip": provider.nip,
        "street": location.street if location else "",
        "postal_code": location.postal_code if location else "",
        "city": location.city if location else "",
    }


def choose_invoice(subscription: Subscription, *, wanted: bool, data: dict | None = None) -> Subscription:
    """ "Czy wystawić fakturę?" and, for yes, the data confirmed ("Zatwierdź") or corrected
    ("Aktualizuj dane") for this order only – while it waits for the payment, or, paid, while its
    invoice could not be issued yet (the data is then corrected and the invoice issued)."""
    with transaction.atomic():
        locked = Subscription.unscoped.select_for_update().get(pk=subscription.pk)
        correcting = locked.paid_at is not None and locked.invoice and not _has_invoice(locked)
        if locked.status != S.ORDERED and not correcting:
            raise SubscriptionError(_("To zamówienie jest już opłacone albo anulowane."))
        if correcting and not wanted:
            raise SubscriptionError(_("Zamówienie jest opłacone z fakturą – popraw dane do faktury."))
        _choose(locked, wanted=wanted, data=data)
    if correcting:
        _issue_quietly(subscription.pk, clock.now())
    subscription.refresh_from_db()
    return subscription


def invoice_of(subscription: Subscription) -> PlatformInvoice | None:
    return PlatformInvoice.unscoped.filter(subscription=subscription).first()


def _has_invoice(subscription: Subscription) -> bool:
    return invoice_of(subscription) is not None


def _choose(subscription: Subscription, *, wanted: bool, data: dict | None) -> None:
    subscription.invoice = wanted
    subscription.invoice_data = {field: (data or {}).get(field, "") for field in INVOICE_FIELDS} if wanted else {}
    if wanted and not all(subscription.invoice_data[field] for field in ("name", "nip", "street", "city")):
        raise SubscriptionError(_("Uzupełnij dane do faktury: nazwę, NIP i adres."))
    if wanted:
        try:  # the invoice is issued when the payment comes in: its data must make one now
            _buyer(subscription.invoice_data)
        except ValueError as exc:
            raise SubscriptionError(
                _("Dane do faktury są niepoprawne: %(error)s Popraw je przez „Aktualizuj dane”.") % {"error": exc}
            ) from None
    subscription.invoice_decided = True
    Subscription.unscoped.filter(pk=subscription.pk).update(
        invoice=subscription.invoice, invoice_data=subscription.invoice_data, invoice_decided=True
    )


def start_payment(subscription: Subscription, *, email: str, now: dt.datetime | None = None):
    """ "Zrealizuj płatność": a transaction at the platform's gateway (the same protocol code as
    the visits' payments); where to send the admin's browser."""
    import secrets

    from django.urls import reverse

    from terminarz.payments import gateways
    from terminarz.payments.gateways.base import StartRequest

    now = now or clock.now()
    if subscription.status != S.ORDERED:
        raise SubscriptionError(_("To zamówienie jest już opłacone albo anulowane."))
    if not subscription.invoice_decided:
        raise SubscriptionError(_("Najpierw zdecyduj, czy wystawić fakturę."))
    name = gateway_name()
    session_id = f"TZA{subscription.pk}X{secrets.token_hex(6).upper()}"
    Subscription.unscoped.filter(pk=subscription.pk).update(gateway=name, session_id=session_id)
    site = settings.SITE_URL.rstrip("/")
    return gateways.get(name).start(
        StartRequest(
            session_id=session_id,
            amount=subscription.amount,
            description=_("Abonament rejestracji on-line: %(n)d terminarzy na 12 miesięcy")
            % {"n": subscription.quantity},
            email=email or subscription.provider.email or "placowka@example.invalid",
            return_url=site + reverse("clinic:subscription-return", args=[subscription.pk]),
            notify_url=site + reverse("subscription-notify", args=[name]),
        )
    )


def handle_notification(gateway: str, body: bytes, content_type: str, *, now: dt.datetime | None = None):
    """The gateway's notification for an order: verified by the protocol (signature), matched
    by session and amount, confirmed with the gateway (P24 verify), applied once."""
    import logging

    from terminarz.payments import gateways
    from terminarz.payments.gateways.base import Answer, NoticeStatus, NotificationRejected

    now = now or clock.now()
    adapter = gateways.get(gateway)
    try:
        notices = adapter.parse_notification(body, content_type)
    except NotificationRejected as exc:
        logging.getLogger(__name__).warning("subscription notification rejected: %s", exc.code)
        return Answer(400, "text/plain", exc.code.encode())
    accepted = []
    for notice in notices:
        # Any attempt of the order ("TZA<order>X<random>"): a second "Zrealizuj płatność" must
        # not orphan the first link's payment. The gateway knows the session and the amount.
        match = SESSION.match(notice.session_id)
        found = Subscription.unscoped.filter(pk=int(match.group(1)), gateway=gateway).first() if match else None
        ok = (
            found is not None
            and notice.currency == "PLN"
            and notice.status == NoticeStatus.PAID
            and notice.amount == found.amount
        )
        if ok and found is not None:
            with transaction.atomic():
                locked = Subscription.unscoped.select_for_update().get(pk=found.pk)
                if locked.paid_at is not None:
                    ok = True  # applied already: a replay changes nothing
                elif locked.status != S.ORDERED:
                    ok = False  # cancelled: not verified, so the gateway does not take the money
                else:
                    ok = adapter.confirm(notice)
                    if ok:
                        SUBSCRIPTION.move(
                            locked,
                            S.PAID,
                            actor_label="gateway",
                            now=now,
                            paid_at=now,
                            payment_reference=notice.reference[:100],
                        )
        accepted.append(bool(ok))
        if ok and found is not None:
            _issue_quietly(found.pk, now)
    return adapter.answer(notices, accepted)


def activate(subscription: Subscription, *, actor, now: dt.datetime | None = None) -> Subscription:
    """ "Włącz": a paid order becomes the active subscription for 12 months (`_full_period`); the
    subscription it replaces ends; online registration on."""
    now = now or clock.now()
    with transaction.atomic():
        Provider.objects.select_for_update(no_key=True).get(pk=subscription.provider_id)
        locked = Subscription.unscoped.select_for_update().get(pk=subscription.pk)
        if locked.status != S.PAID:
            raise SubscriptionError(_("Usługę można włączyć po zaksięgowaniu płatności."))
        _check_covers_published(locked.provider_id, locked.quantity, now)
        valid_from, valid_to = _full_period(locked.provider_id, now)
        _end_current(locked.provider_id, actor=actor, now=now)
        SUBSCRIPTION.move(
            locked,
            S.ACTIVE,
            actor=actor,
            now=now,
            valid_from=valid_from,
            valid_to=valid_to,
            activated_at=now,
        )
        _online(locked.provider_id, True, actor=actor, now=now)
    return locked


# -- the platform's invoice for a paid order ("Czy wystawić fakturę?" → yes) -------------------
INVOICE_SERIES = "AB"
RETRY_DAYS = 7  # FV/AB/<year>/<number>: the platform's own series, apart from the clinics'


def platform_seller() -> Party:
    return Party(**settings.TERMINARZ_PLATFORM_SELLER)


def _buyer(data: dict) -> Party:
    return Party(
        name=data.get("name", ""),
        nip=data.get("nip") or None,
        street=data.get("street", ""),
        postal_code=data.get("postal_code", ""),
        city=data.get("city", ""),
    )


def _invoice_line(subscription: Subscription) -> Line:
    name = ngettext(
        "Abonament rejestracji on-line na 12 miesięcy – %(n)d terminarz publikowany online",
        "Abonament rejestracji on-line na 12 miesięcy – %(n)d terminarzy publikowanych online",
        subscription.quantity,
    ) % {"n": subscription.quantity}
    vat = str(settings.TERMINARZ_SUBSCRIPTION_VAT)
    unit = subscription.amount / subscription.quantity
    if unit == unit.quantize(Decimal("0.01")):
        return Line(name=name, quantity=Decimal(subscription.quantity), unit_price_gross=unit, vat_rate=vat)
    return Line(name=name, quantity=Decimal(1), unit_price_gross=subscription.amount, vat_rate=vat)


def issue_invoice(subscription: Subscription, *, now: dt.datetime | None = None) -> PlatformInvoice | None:
    """The invoice for a paid order that wanted one: the platform's next number of the year, in
    one transaction with the counter (no gaps); issued once, later calls return it. None when
    the order wanted no invoice or is not paid."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Subscription.unscoped.select_for_update().get(pk=subscription.pk)
        if not locked.invoice or locked.paid_at is None:
            return None
        existing = PlatformInvoice.unscoped.filter(subscription=locked).first()
        if existing is not None:
            return existing
        today = clock.local_today(at=now)
        paid_on = clock.local_today(at=locked.paid_at)
        PlatformInvoiceCounter.objects.get_or_create(year=today.year)
        counter = PlatformInvoiceCounter.objects.select_for_update().get(year=today.year)
        counter.last += 1
        counter.save(update_fields=["last"])
        try:
            seller = platform_seller()
            data = InvoiceData(
                number=f"FV/{INVOICE_SERIES}/{today.year}/{counter.last:05d}",
                issue_date=today,
                sale_date=paid_on,
                place=seller.city,
                seller=seller,
                buyer=_buyer(locked.invoice_data),
                lines=[_invoice_line(locked)],
                payment_method=PAYMENT_ONLINE,
                paid=True,
                paid_on=paid_on,
            )
            fa3_xml(data, created_at=now)  # an invoice whose e-invoice cannot be made takes no number
        except ValueError as exc:  # the data or the e-invoice refused; the number rolls back
            raise SubscriptionError(
                _("Faktury nie udało się wystawić (%(error)s). Skontaktuj się z operatorem platformy.")
                % {"error": str(exc)[:200]}
            ) from None
        invoice = PlatformInvoice.unscoped.create(
            provider_id=locked.provider_id,
            subscription=locked,
            number=data.number,
            year=today.year,
            seq=counter.last,
            issue_date=today,
            gross=data.total_gross,
            data=to_json(data),
            created_at=now,
        )
        record_audit(
            provider_id=locked.provider_id,
            action="subscription.invoice_issued",
            target=invoice,
            summary=f"Faktura {data.number} za abonament rejestracji on-line",
            actor_label="system",
            at=now,
        )
    return invoice


def _issue_quietly(subscription_id: int, now: dt.datetime) -> None:
    """Issue the invoice right after the payment; a failure must not undo the payment (the
    admin's download issues it again, and says what is wrong)."""
    import logging

    subscription = Subscription.unscoped.get(pk=subscription_id)
    try:
        issue_invoice(subscription, now=now)
    except Exception:  # the payment stands; the invoice is retried (download, daily job)
        logging.getLogger(__name__).warning("subscription %s: invoice not issued", subscription_id)


def issue_missing_invoices(*, now: dt.datetime | None = None) -> int:
    """The periodic retry: orders paid in the last `RETRY_DAYS` days that wanted an invoice and
    have none yet (their issue failed when the payment came in). How many were issued. Older
    ones wait for the admin's correction on the order page or the operator."""
    now = now or clock.now()
    waiting = list(
        Subscription.unscoped.filter(
            invoice=True, paid_at__gte=now - dt.timedelta(days=RETRY_DAYS), platform_invoice__isnull=True
        ).values_list("pk", flat=True)
    )
    for subscription_id in waiting:
        _issue_quietly(subscription_id, now)
    return PlatformInvoice.unscoped.filter(subscription_id__in=waiting).count()


def invoice_pdf_of(invoice: PlatformInvoice) -> bytes:
    return invoice_pdf(from_json(invoice.data))
