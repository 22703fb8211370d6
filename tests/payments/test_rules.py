"""H1–H3: which payment a booking needs and by when (pure functions, no database)."""

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from terminarz.payments.models import AmountKind, DeadlineKind, PaymentRule, PaymentSettings, Requirement
from terminarz.payments.rules import DeadlineImpossible, amount_for, describe_deadline, payment_deadline, resolve

WAW = ZoneInfo("Europe/Warsaw")
M, OPT, N = Requirement.MANDATORY, Requirement.OPTIONAL, Requirement.NONE


def rule(requirement=None, **fields):
    return None if requirement is None else PaymentRule(requirement=requirement, **fields)


def expected(provider, practitioner, service, first_time, blacklisted, first_time_on, blacklist_on):
    """The rule of H1/H2 written out independently of the implementation."""
    if blacklisted and blacklist_on:
        return M, "blacklist"
    specific = next(
        ((name, r) for name, r in (("service", service), ("practitioner", practitioner), ("provider", provider)) if r),
        ("none", None),
    )
    base = specific[1] or N
    if first_time and first_time_on and base != M:
        return M, "first_time"
    return base, specific[0]


LEVEL = [None, N, OPT, M]


@pytest.mark.parametrize(
    "provider,practitioner,service,first_time,blacklisted,first_time_on,blacklist_on",
    list(itertools.product(LEVEL, LEVEL, LEVEL, [False, True], [False, True], [False, True], [False, True])),
)
def test_every_combination_of_rules_and_groups(
    provider, practitioner, service, first_time, blacklisted, first_time_on, blacklist_on
):
    settings = PaymentSettings(enabled=True, first_time_mandatory=first_time_on, blacklist_mandatory=blacklist_on)
    decision = resolve(
        settings=settings,
        provider_rule=rule(provider),
        practitioner_rule=rule(practitioner),
        service_rule=rule(service),
        price=Decimal("150.00"),
        nfz=False,
        first_time=first_time,
        blacklisted=blacklisted,
    )
    requirement, reason = expected(
        provider, practitioner, service, first_time, blacklisted, first_time_on, blacklist_on
    )
    assert (decision.requirement, decision.reason) == (requirement, reason)
    assert decision.amount == (Decimal("150.00") if requirement != N else Decimal("0.00"))


def test_blacklist_wins_over_a_service_without_payment():
    settings = PaymentSettings(enabled=True, blacklist_mandatory=True)
    decision = resolve(
        settings=settings,
        provider_rule=rule(OPT),
        practitioner_rule=rule(OPT),
        service_rule=rule(N),
        price=Decimal("200.00"),
        nfz=False,
        first_time=False,
        blacklisted=True,
    )
    assert (decision.requirement, decision.reason, decision.amount) == (M, "blacklist", Decimal("200.00"))


@pytest.mark.parametrize(
    "enabled,nfz,price,reason",
    [
        (False, False, Decimal("100"), "disabled"),
        (True, True, Decimal("100"), "nfz"),
        (True, False, None, "no_price"),
        (True, False, Decimal("0"), "no_price"),
    ],
)
def test_no_payment_when_off_nfz_or_without_price(enabled, nfz, price, reason):
    decision = resolve(
        settings=PaymentSettings(enabled=enabled, blacklist_mandatory=True),
        provider_rule=rule(M),
        practitioner_rule=None,
        service_rule=None,
        price=price,
        nfz=nfz,
        first_time=True,
        blacklisted=True,
    )
    assert (decision.requirement, decision.reason) == (N, reason)


@pytest.mark.parametrize(
    "kind,deposit_amount,deposit_percent,amount",
    [
        (AmountKind.FULL, None, None, Decimal("180.00")),
        (AmountKind.DEPOSIT_AMOUNT, Decimal("50.00"), None, Decimal("50.00")),
        (AmountKind.DEPOSIT_AMOUNT, Decimal("500.00"), None, Decimal("180.00")),  # never above the price
        (AmountKind.DEPOSIT_PERCENT, None, 30, Decimal("54.00")),
        (AmountKind.DEPOSIT_PERCENT, None, 33, Decimal("59.40")),
    ],
)
def test_amount_full_or_deposit(kind, deposit_amount, deposit_percent, amount):
    r = PaymentRule(requirement=M, amount_kind=kind, deposit_amount=deposit_amount, deposit_percent=deposit_percent)
    assert amount_for(r, Decimal("180.00")) == (amount, kind if kind != AmountKind.FULL else AmountKind.FULL)


def test_percent_deposit_rounds_half_up_to_grosze():
    r = PaymentRule(requirement=M, amount_kind=AmountKind.DEPOSIT_PERCENT, deposit_percent=15)
    assert amount_for(r, Decimal("99.90"))[0] == Decimal("14.99")  # 14.985 → 14.99


def test_special_group_takes_the_amount_of_the_most_specific_rule():
    settings = PaymentSettings(enabled=True, first_time_mandatory=True)
    practitioner = PaymentRule(requirement=OPT, amount_kind=AmountKind.DEPOSIT_AMOUNT, deposit_amount=Decimal("40.00"))
    decision = resolve(
        settings=settings,
        provider_rule=rule(N),
        practitioner_rule=practitioner,
        service_rule=None,
        price=Decimal("150.00"),
        nfz=False,
        first_time=True,
        blacklisted=False,
    )
    assert (decision.requirement, decision.amount, decision.amount_kind) == (
        M,
        Decimal("40.00"),
        AmountKind.DEPOSIT_AMOUNT,
    )


def test_deadline_comes_from_the_most_specific_rule_that_sets_one():
    provider = PaymentRule(requirement=M, deadline_kind=DeadlineKind.BEFORE_VISIT, hours_before_visit=48)
    practitioner = PaymentRule(requirement=M)  # no deadline of its own
    decision = resolve(
        settings=PaymentSettings(enabled=True),
        provider_rule=provider,
        practitioner_rule=practitioner,
        service_rule=None,
        price=Decimal("100.00"),
        nfz=False,
        first_time=False,
        blacklisted=False,
    )
    assert decision.deadline_rule is provider


# -- deadlines (H3), in Warsaw wall-clock time --------------------------------------------------


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WAW)


def by_hour(hour, *, close=False, before=None):
    return PaymentRule(
        requirement=M,
        deadline_kind=DeadlineKind.BY_HOUR,
        deadline_hour=hour,
        close_after_hour=close,
        hours_before_visit=before,
    )


def test_by_hour_same_day():
    # The seed's example: booked at 18:00, pay by 22:00 the same day.
    deadline = payment_deadline(by_hour(22), now=local(2026, 12, 1, 18, 0), visit_start=local(2026, 12, 14, 10, 0))
    assert deadline == local(2026, 12, 1, 22, 0)


def test_by_hour_after_the_hour_moves_to_the_next_day():
    deadline = payment_deadline(by_hour(20), now=local(2026, 12, 1, 21, 30), visit_start=local(2026, 12, 14, 10, 0))
    assert deadline == local(2026, 12, 2, 20, 0)


def test_by_hour_with_the_hour_limit_closes_bookings_after_it():
    with pytest.raises(DeadlineImpossible) as refused:
        payment_deadline(by_hour(20, close=True), now=local(2026, 12, 1, 20, 5), visit_start=local(2026, 12, 14, 10))
    assert refused.value.message == (
        "Zapisy na wizyty płatne online są dziś zamknięte po godzinie 20:00. Zapisz się jutro albo zadzwoń do placówki."
    )


def test_by_hour_at_least_n_hours_before_the_visit():
    deadline = payment_deadline(
        by_hour(22, before=12), now=local(2026, 12, 1, 8, 0), visit_start=local(2026, 12, 2, 8, 0)
    )
    assert deadline == local(2026, 12, 1, 20, 0)


def test_before_visit():
    r = PaymentRule(requirement=M, deadline_kind=DeadlineKind.BEFORE_VISIT, hours_before_visit=48)
    deadline = payment_deadline(r, now=local(2026, 12, 1, 9, 0), visit_start=local(2026, 12, 14, 10, 0))
    assert deadline == local(2026, 12, 12, 10, 0)


def test_after_booking_and_no_later_than_before_the_visit():
    r = PaymentRule(
        requirement=M, deadline_kind=DeadlineKind.AFTER_BOOKING, hours_after_booking=24, hours_before_visit=2
    )
    far = payment_deadline(r, now=local(2026, 12, 1, 9, 0), visit_start=local(2026, 12, 14, 10, 0))
    near = payment_deadline(r, now=local(2026, 12, 1, 9, 0), visit_start=local(2026, 12, 1, 15, 0))
    assert (far, near) == (local(2026, 12, 2, 9, 0), local(2026, 12, 1, 13, 0))


def test_a_deadline_that_cannot_be_met_refuses_the_booking():
    r = PaymentRule(requirement=M, deadline_kind=DeadlineKind.BEFORE_VISIT, hours_before_visit=48)
    with pytest.raises(DeadlineImpossible):
        payment_deadline(r, now=local(2026, 12, 1, 9, 0), visit_start=local(2026, 12, 2, 10, 0))


def test_no_rule_means_24_hours_before_the_visit():
    deadline = payment_deadline(None, now=local(2026, 12, 1, 9, 0), visit_start=local(2026, 12, 5, 9, 0))
    assert deadline == local(2026, 12, 4, 9, 0)


def test_by_hour_across_the_autumn_change_is_wall_clock():
    # 24 Oct 2026 21:00 CEST (after 20:00): the next day's 20:00 is CET, 24 real hours later + 1.
    deadline = payment_deadline(by_hour(20), now=local(2026, 10, 24, 21, 0), visit_start=local(2026, 11, 2, 9, 0))
    assert deadline == dt.datetime(2026, 10, 25, 19, 0, tzinfo=dt.UTC)


def test_before_visit_across_the_spring_change_counts_real_hours():
    r = PaymentRule(requirement=M, deadline_kind=DeadlineKind.BEFORE_VISIT, hours_before_visit=24)
    deadline = payment_deadline(r, now=local(2026, 3, 20, 9, 0), visit_start=local(2026, 3, 29, 12, 0))
    assert deadline == local(2026, 3, 28, 11, 0)  # 24 real hours: 11:00 CET the day before


def test_deadlines_are_described_in_words():
    assert describe_deadline(by_hour(20, close=True, before=2)) == (
        "do godz. 20:00 w dniu zapisu (po tej godzinie zapisy zamknięte), nie później niż 2 godz. przed wizytą"
    )
    assert describe_deadline(
        PaymentRule(requirement=M, deadline_kind=DeadlineKind.AFTER_BOOKING, hours_after_booking=24)
    ) == ("w ciągu 24 godz. od zapisu")
