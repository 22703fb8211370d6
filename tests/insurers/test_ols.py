"""G9, the insurer's OLS: thematic terms with price limits, the provider's prices ("preferowane"
at or under the limit), benefit claims and settlements due in 3 Polish business days – every
claim and settlement transition, allowed and refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from terminarz.core.statemachine import TransitionRefused
from terminarz.insurers import ols, services
from terminarz.insurers.machines import CLAIM, SETTLEMENT
from terminarz.insurers.models import (
    ClaimStatus,
    InsurerTerms,
    OfferedPrice,
    ServiceArea,
    SettlementStatus,
    ThematicService,
)
from tests.conftest import FROZEN_NOW
from tests.factories import VALID_PESEL, make_provider
from tests.insurers.helpers import cooperate, make_insurer

pytestmark = pytest.mark.django_db


def thematic(insurer, title="Konsultacje specjalistyczne", version="1.0"):
    terms = InsurerTerms.objects.create(
        insurer=insurer,
        kind=InsurerTerms.Kind.THEMATIC,
        area=ServiceArea.CONSULTATIONS,
        title=title,
        version=version,
        body="§ 1.",
        effective_from=FROZEN_NOW - dt.timedelta(days=1),
    )
    kard = ThematicService.objects.create(terms=terms, code="K01", name="Konsultacja kardiologa", limit=Decimal("150"))
    derm = ThematicService.objects.create(terms=terms, code="D01", name="Konsultacja dermatologa", limit=Decimal("140"))
    return terms, kard, derm


@pytest.fixture
def world(frozen):
    provider = make_provider()
    user = get_user_model().objects.create_user("ada", password="x")
    tu = make_insurer()
    cooperate(provider, tu, user)
    terms, kard, derm = thematic(tu)
    return {"provider": provider, "user": user, "tu": tu, "terms": terms, "kard": kard, "derm": derm}


def priced(world):
    ols.accept_thematic(world["provider"].pk, world["terms"], accepted=True, actor=world["user"])
    ols.set_prices(
        world["provider"].pk,
        world["terms"],
        {world["kard"].pk: Decimal("140.00"), world["derm"].pk: Decimal("160.00")},
        actor=world["user"],
    )


def claim(world, service="kard", day=dt.date(2026, 11, 18)):
    return ols.file_claim(
        world["provider"].pk,
        world["tu"],
        service_id=world[service].pk,
        patient_name="Jan Ubezpieczony",
        patient_pesel=VALID_PESEL,
        service_date=day,
        actor=world["user"],
    )


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (dt.date(2026, 11, 20), dt.date(2026, 11, 25)),  # Friday: the weekend does not count
        (dt.date(2026, 11, 6), dt.date(2026, 11, 12)),  # 11 November is a holiday
        (dt.date(2026, 12, 22), dt.date(2026, 12, 29)),  # 24–26 December
        (dt.date(2026, 12, 30), dt.date(2027, 1, 5)),  # New Year's Day
    ],
)
def test_three_polish_business_days(start, due):
    assert ols.business_days_after(start, 3) == due


def test_thematic_terms_need_an_active_cooperation_and_a_tick(frozen):
    provider = make_provider()
    user = get_user_model().objects.create_user("ola", password="x")
    tu = make_insurer()
    terms, *_ = thematic(tu)
    with pytest.raises(ols.OlsError) as before:
        ols.accept_thematic(provider.pk, terms, accepted=True, actor=user)
    assert before.value.message == "Regulaminy tematyczne są dostępne po nawiązaniu współpracy (regulamin ogólny)."
    cooperate(provider, tu, user)
    with pytest.raises(ols.OlsError) as unticked:
        ols.accept_thematic(provider.pk, terms, accepted=False, actor=user)
    assert unticked.value.field == "accept"
    made = ols.accept_thematic(provider.pk, terms, accepted=True, actor=user)
    assert ols.accept_thematic(provider.pk, terms, accepted=True, actor=user).pk == made.pk


def test_prices_at_or_under_the_limit_are_preferred(world):
    with pytest.raises(ols.OlsError):
        ols.set_prices(world["provider"].pk, world["terms"], {world["kard"].pk: Decimal("1")}, actor=world["user"])
    priced(world)
    prices = {p.service.code: (p.price, p.preferred) for p in OfferedPrice.objects.select_related("service")}
    assert prices == {"K01": (Decimal("140.00"), True), "D01": (Decimal("160.00"), False)}
    ols.set_prices(world["provider"].pk, world["terms"], {world["derm"].pk: None}, actor=world["user"])
    assert list(OfferedPrice.objects.values_list("service__code", flat=True)) == ["K01"]


def test_the_newest_effective_thematic_version_is_in_force(world):
    later, *_ = thematic(world["tu"], version="2.0")
    InsurerTerms.objects.filter(pk=later.pk).update(effective_from=FROZEN_NOW + dt.timedelta(days=5))
    assert [t.version for t in ols.thematic_terms(world["tu"], FROZEN_NOW)] == ["1.0"]
    assert [t.version for t in ols.thematic_terms(world["tu"], FROZEN_NOW + dt.timedelta(days=6))] == ["2.0"]


def test_a_claim_is_at_the_providers_price_and_checked(world):
    with pytest.raises(ols.OlsError) as not_accepted:
        claim(world)
    assert not_accepted.value.field == "service"
    priced(world)
    made = claim(world)
    assert (made.number, made.amount, made.status) == (f"WN/2026/{made.pk:06d}", Decimal("140.00"), "submitted")
    with pytest.raises(ols.OlsError) as future:
        claim(world, day=dt.date(2026, 11, 21))
    assert future.value.message == "Data udzielenia świadczenia nie może być w przyszłości."
    with pytest.raises(ols.OlsError) as bad_pesel:
        ols.file_claim(
            world["provider"].pk,
            world["tu"],
            service_id=world["kard"].pk,
            patient_name="X",
            patient_pesel="12345678901",
            service_date=dt.date(2026, 11, 18),
            actor=None,
        )
    assert bad_pesel.value.field == "patient_pesel"


def test_every_claim_transition_allowed_and_refused(world):
    priced(world)
    first, second, third = (claim(world, day=dt.date(2026, 11, d)) for d in (18, 17, 16))
    with pytest.raises(ols.OlsError) as no_reason:
        ols.decide_claim(second, accept=False, reason=" ", actor=None)
    assert no_reason.value.message == "Podaj powód odrzucenia wniosku."
    ols.decide_claim(first, accept=True, reason="", actor=None)
    ols.decide_claim(second, accept=False, reason="Brak uprawnień ubezpieczonego", actor=None)
    for done in (first, second):
        with pytest.raises(TransitionRefused):
            ols.decide_claim(done, accept=True, reason="", actor=None)
    with pytest.raises(TransitionRefused):
        CLAIM.move(third, ClaimStatus.SETTLED)  # only an accepted claim is settled
    second.refresh_from_db()
    with pytest.raises(TransitionRefused):
        CLAIM.move(second, ClaimStatus.SETTLED)
    assert CLAIM.allowed("") == {"submitted"}
    assert CLAIM.allowed("settled") == set() and CLAIM.allowed("rejected") == set()


def test_a_settlement_takes_the_accepted_claims_of_the_period_and_is_paid_once(world):
    priced(world)
    inside = claim(world)
    outside = claim(world, day=dt.date(2026, 11, 5))
    undecided = claim(world, day=dt.date(2026, 11, 17))
    ols.decide_claim(inside, accept=True, reason="", actor=None)
    ols.decide_claim(outside, accept=True, reason="", actor=None)
    settlement = ols.make_settlement(
        world["provider"].pk,
        world["tu"],
        period_start=dt.date(2026, 11, 10),
        period_end=dt.date(2026, 11, 30),
        actor=world["user"],
    )
    assert (settlement.total, settlement.due_date, settlement.status) == (
        Decimal("140.00"),
        dt.date(2026, 11, 25),
        "due",
    )
    assert list(settlement.claims.values_list("pk", "status")) == [(inside.pk, "settled")]
    undecided.refresh_from_db()
    assert undecided.status == "submitted"
    with pytest.raises(ols.OlsError) as empty:
        ols.make_settlement(
            world["provider"].pk,
            world["tu"],
            period_start=dt.date(2026, 11, 10),
            period_end=dt.date(2026, 11, 30),
            actor=None,
        )
    assert empty.value.message == "W tym okresie nie ma zaakceptowanych, nierozliczonych wniosków."
    paid = ols.mark_paid(settlement, actor=None)
    assert (paid.status, paid.paid_at) == ("paid", FROZEN_NOW)
    with pytest.raises(TransitionRefused):
        ols.mark_paid(settlement, actor=None)
    assert SETTLEMENT.allowed(SettlementStatus.PAID) == set()


def test_only_the_version_in_force_is_accepted_priced_and_claimed(world):
    priced(world)
    newer, kard2, _derm2 = thematic(world["tu"], version="2.0")
    InsurerTerms.objects.filter(pk=newer.pk).update(effective_from=FROZEN_NOW - dt.timedelta(hours=1))
    with pytest.raises(ols.OlsError) as old:
        ols.accept_thematic(world["provider"].pk, world["terms"], accepted=True, actor=None)
    assert old.value.message == "Ten regulamin tematyczny nie obowiązuje."
    assert ols.claimable_services(world["provider"].pk, world["tu"]) == []  # 1.0's prices no longer claimed
    with pytest.raises(ols.OlsError):
        claim(world)
    ols.accept_thematic(world["provider"].pk, newer, accepted=True, actor=None)
    ols.set_prices(world["provider"].pk, newer, {kard2.pk: Decimal("145.00")}, actor=None)
    assert [(s.pk, p) for s, p in ols.claimable_services(world["provider"].pk, world["tu"])] == [
        (kard2.pk, Decimal("145.00"))
    ]


def test_no_claim_from_before_the_cooperation_and_no_second_one_for_the_same_service(world):
    priced(world)
    with pytest.raises(ols.OlsError) as early:
        claim(world, day=dt.date(2026, 10, 31))
    assert early.value.message == "Świadczenie sprzed współpracy (przed 01.11.2026) nie może być objęte wnioskiem."
    first = claim(world)
    with pytest.raises(ols.OlsError) as twice:
        claim(world)
    assert twice.value.message == "Wniosek za to świadczenie tego ubezpieczonego z tego dnia już złożono."
    ols.decide_claim(first, accept=False, reason="Brak uprawnień", actor=None)
    assert claim(world).pk != first.pk  # after a rejection it may be filed again


def test_prices_only_while_the_cooperation_is_active(world):
    priced(world)
    services.end(services.cooperation(world["provider"].pk, world["tu"]), confirmed=True, actor=None)
    with pytest.raises(ols.OlsError) as ended:
        ols.set_prices(world["provider"].pk, world["terms"], {world["kard"].pk: Decimal("1.00")}, actor=None)
    assert ended.value.message == "Współpraca z tym ubezpieczycielem nie jest aktywna."
