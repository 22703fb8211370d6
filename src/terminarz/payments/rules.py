"""Which payment a booking needs (H1, H2) and by when (H3): pure functions, no queries.

`resolve` decides for one booking from the provider's settings, the rules that could apply
(provider, practitioner, service) and what is known of the patient. The order, most important
first:

1. payments off for the provider, an NFZ-financed slot (the visit is free for the patient) or
   no price → no payment;
2. a blacklisted patient when the provider requires payment from them → mandatory
   ("ma priorytet nad pozostałymi ustawieniami");
3. a first-time patient when the provider requires payment from them → mandatory;
4. otherwise the most specific rule: the service's, else the practitioner's, else the
   provider's own.

The amount (full or deposit) comes from that most specific rule in every case, and the
deadline from the most specific rule that sets one.

`payment_deadline` computes the deadline in the location's wall-clock time (Europe/Warsaw),
DST-safe: hours are wall-clock hours of the day, durations are real hours."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AmountKind, DeadlineKind, PaymentRule, PaymentSettings, Requirement

WARSAW = ZoneInfo("Europe/Warsaw")
GROSZ = Decimal("0.01")
# A deadline closer than this cannot reasonably be met: the booking is refused instead.
MIN_TIME_TO_PAY = dt.timedelta(minutes=15)
DEFAULT_HOUR = 20
DEFAULT_HOURS_BEFORE_VISIT = 24


@dataclass(frozen=True)
class Decision:
    requirement: str  # a Requirement value
    reason: str  # disabled / nfz / no_price / blacklist / first_time / service / practitioner / provider / none
    price: Decimal = Decimal("0.00")
    amount: Decimal = Decimal("0.00")
    amount_kind: str = AmountKind.FULL
    deadline_rule: PaymentRule | None = None

    @property
    def mandatory(self) -> bool:
        return self.requirement == Requirement.MANDATORY

    @property
    def charged(self) -> bool:
        return self.requirement != Requirement.NONE


REASON_LABELS = {
    "blacklist": gettext_lazy("pacjent z czarnej listy"),
    "first_time": gettext_lazy("pacjent pierwszorazowy"),
    "service": gettext_lazy("zasada usługi"),
    "practitioner": gettext_lazy("zasada specjalisty"),
    "provider": gettext_lazy("zasada placówki"),
    "manual": gettext_lazy("zmiana ręczna"),
}


def amount_for(rule: PaymentRule | None, price: Decimal) -> tuple[Decimal, str]:
    """The amount to pay of `price` under a rule's amount setting (never above the price)."""
    kind = rule.amount_kind if rule is not None else AmountKind.FULL
    if kind == AmountKind.DEPOSIT_AMOUNT and rule is not None and rule.deposit_amount is not None:
        return min(rule.deposit_amount, price).quantize(GROSZ), kind
    if kind == AmountKind.DEPOSIT_PERCENT and rule is not None and rule.deposit_percent:
        return (price * rule.deposit_percent / 100).quantize(GROSZ, rounding=ROUND_HALF_UP), kind
    return price.quantize(GROSZ), AmountKind.FULL


def resolve(
    *,
    settings: PaymentSettings | None,
    provider_rule: PaymentRule | None,
    practitioner_rule: PaymentRule | None,
    service_rule: PaymentRule | None,
    price: Decimal | None,
    nfz: bool,
    first_time: bool,
    blacklisted: bool,
) -> Decision:
    if settings is None or not settings.enabled:
        return Decision(Requirement.NONE, "disabled")
    if nfz:
        return Decision(Requirement.NONE, "nfz")
    if price is None or price <= 0:
        return Decision(Requirement.NONE, "no_price")
    levels = [("service", service_rule), ("practitioner", practitioner_rule), ("provider", provider_rule)]
    specific_name, specific = next(((name, rule) for name, rule in levels if rule is not None), ("none", None))
    requirement = specific.requirement if specific is not None else Requirement.NONE
    reason = specific_name
    if blacklisted and settings.blacklist_mandatory:
        requirement, reason = Requirement.MANDATORY, "blacklist"
    elif first_time and settings.first_time_mandatory and requirement != Requirement.MANDATORY:
        requirement, reason = Requirement.MANDATORY, "first_time"
    if requirement == Requirement.NONE:
        return Decision(Requirement.NONE, reason, price=price)
    amount, kind = amount_for(specific, price)
    if amount <= 0:
        return Decision(Requirement.NONE, "no_price", price=price)
    deadline_rule = next((rule for _name, rule in levels if rule is not None and rule.deadline_kind), None)
    return Decision(requirement, reason, price=price, amount=amount, amount_kind=kind, deadline_rule=deadline_rule)


class DeadlineImpossible(Exception):
    """The payment could not be made in time: the booking is refused with this message."""

    code = "payment_deadline"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _at_hour(day: dt.date, hour: int) -> dt.datetime:
    """`hour`:00 wall-clock on `day` in Warsaw, as an aware datetime (a time skipped by the
    spring change is read as the same moment after it, as zoneinfo does)."""
    local = dt.datetime.combine(day, dt.time(hour), tzinfo=WARSAW)
    return local.astimezone(dt.UTC).astimezone(WARSAW)


def payment_deadline(rule: PaymentRule | None, *, now: dt.datetime, visit_start: dt.datetime) -> dt.datetime:
    """The moment the payment must be made by (aware, UTC), or DeadlineImpossible."""
    # Durations in real hours: arithmetic on UTC (on a zoneinfo datetime it would be wall-clock).
    now, visit_start = now.astimezone(dt.UTC), visit_start.astimezone(dt.UTC)
    kind = rule.deadline_kind if rule is not None and rule.deadline_kind else DeadlineKind.BEFORE_VISIT
    before_visit = rule.hours_before_visit if rule is not None and rule.hours_before_visit is not None else None
    if kind == DeadlineKind.BY_HOUR:
        assert rule is not None
        hour = rule.deadline_hour if rule.deadline_hour is not None else DEFAULT_HOUR
        local_now = now.astimezone(WARSAW)
        deadline = _at_hour(local_now.date(), hour).astimezone(dt.UTC)
        if deadline <= now:
            if rule.close_after_hour:
                raise DeadlineImpossible(
                    _(
                        "Zapisy na wizyty płatne online są dziś zamknięte po godzinie %(hour)02d:00. "
                        "Zapisz się jutro albo zadzwoń do placówki."
                    )
                    % {"hour": hour}
                )
            deadline = _at_hour(local_now.date() + dt.timedelta(days=1), hour).astimezone(dt.UTC)
        if before_visit is not None:
            deadline = min(deadline, visit_start - dt.timedelta(hours=before_visit))
    elif kind == DeadlineKind.AFTER_BOOKING:
        assert rule is not None
        deadline = now + dt.timedelta(hours=rule.hours_after_booking or 24)
        if before_visit is not None:
            deadline = min(deadline, visit_start - dt.timedelta(hours=before_visit))
    else:
        hours = before_visit if before_visit is not None else DEFAULT_HOURS_BEFORE_VISIT
        deadline = visit_start - dt.timedelta(hours=hours)
    deadline = min(deadline, visit_start)
    if deadline < now + MIN_TIME_TO_PAY:
        raise DeadlineImpossible(
            _(
                "Tę wizytę trzeba opłacić online, a do terminu płatności zostało za mało czasu. "
                "Wybierz późniejszy termin albo zadzwoń do placówki."
            )
        )
    return deadline.astimezone(dt.UTC)


def describe_deadline(rule: PaymentRule | None) -> str:
    """The rule's deadline in words, for settings and the visit view."""
    if rule is None or not rule.deadline_kind:
        return _("%(n)d godz. przed wizytą") % {"n": DEFAULT_HOURS_BEFORE_VISIT}
    before = rule.hours_before_visit
    if rule.deadline_kind == DeadlineKind.BY_HOUR:
        text = _("do godz. %(h)02d:00 w dniu zapisu") % {
            "h": rule.deadline_hour if rule.deadline_hour is not None else DEFAULT_HOUR
        }
        text += (
            _(" (po tej godzinie zapisy zamknięte)") if rule.close_after_hour else _(" (po tej godzinie – do jutra)")
        )
    elif rule.deadline_kind == DeadlineKind.AFTER_BOOKING:
        text = _("w ciągu %(n)d godz. od zapisu") % {"n": rule.hours_after_booking or 24}
    else:
        return _("%(n)d godz. przed wizytą") % {"n": before if before is not None else DEFAULT_HOURS_BEFORE_VISIT}
    if before is not None:
        text += _(", nie później niż %(n)d godz. przed wizytą") % {"n": before}
    return text
