"""The insurer's OLS (G9, seed 002 stage III): after the general terms, the provider accepts the
insurer's thematic terms ("Akceptuję regulamin i chcę nawiązać współpracę") and enters its
prices ("Cennik usług"; at or under the insurer's limit they are "preferowane"); then it files
benefit claims for insured patients ("Wniosek o wypłatę świadczenia"), which the insurer
accepts or rejects, and makes settlement reports ("Rozliczenia finansowe") of the accepted
claims, due within 3 Polish business days (weekends and statutory holidays excluded).

Claims and settlements move on `machines.CLAIM` and `machines.SETTLEMENT`; one transaction
per action, audited on the provider's log."""

import datetime as dt
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from stdnum.pl import pesel as pesel_number

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.providers.holidays import public_holidays

from .machines import CLAIM, SETTLEMENT
from .models import (
    Claim,
    ClaimStatus,
    Cooperation,
    CooperationStatus,
    Insurer,
    InsurerTerms,
    OfferedPrice,
    Settlement,
    SettlementStatus,
    ThematicAcceptance,
    ThematicService,
)

PAYMENT_BUSINESS_DAYS = 3


class OlsError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.field = field


def business_days_after(day: dt.date, count: int) -> dt.date:
    """The `count`-th Polish business day after `day` (no weekends, no statutory holidays)."""
    holidays = public_holidays(day, day + dt.timedelta(days=count * 3 + 14))
    found = day
    left = count
    while left:
        found += dt.timedelta(days=1)
        if found.weekday() < 5 and found not in holidays:
            left -= 1
    return found


def thematic_terms(insurer: Insurer | int, now: dt.datetime) -> list[InsurerTerms]:
    """The thematic terms in force: per title, the newest version already effective."""
    newest: dict[str, InsurerTerms] = {}
    for terms in (
        InsurerTerms.objects.of(insurer)
        .filter(kind=InsurerTerms.Kind.THEMATIC, effective_from__lte=now)
        .order_by("title", "-effective_from")
    ):
        newest.setdefault(terms.title, terms)
    return list(newest.values())


def _active(provider_id: int, insurer_id: int) -> bool:
    return Cooperation.objects.filter(
        provider_id=provider_id, insurer_id=insurer_id, status=CooperationStatus.ACTIVE
    ).exists()


def accept_thematic(provider_id: int, terms: InsurerTerms, *, accepted: bool, actor, now=None) -> ThematicAcceptance:
    now = now or clock.now()
    if terms.kind != InsurerTerms.Kind.THEMATIC or terms not in thematic_terms(terms.insurer_id, now):
        raise OlsError(_("Ten regulamin tematyczny nie obowiązuje."))
    if not _active(provider_id, terms.insurer_id):
        raise OlsError(_("Regulaminy tematyczne są dostępne po nawiązaniu współpracy (regulamin ogólny)."))
    if not accepted:
        raise OlsError(_("Zaznacz „Przystąp”, aby zaakceptować regulamin."), field="accept")
    with transaction.atomic():
        made, created = ThematicAcceptance.objects.get_or_create(
            provider_id=provider_id, terms=terms, defaults={"accepted_at": now, "accepted_by": actor}
        )
        if created:
            record_audit(
                provider_id=provider_id,
                action="ols.terms_accepted",
                target=made,
                summary=f"Zaakceptowano regulamin tematyczny {terms.title} (wersja {terms.version})",
                actor=actor,
            )
    return made


def accepted(provider_id: int, terms: InsurerTerms) -> bool:
    return ThematicAcceptance.objects.filter(provider_id=provider_id, terms=terms).exists()


def set_prices(
    provider_id: int, terms: InsurerTerms, prices: dict[int, Decimal | None], *, actor, now=None
) -> list[OfferedPrice]:
    """ "Cennik usług": the provider's price per service of the thematic terms (empty: not offered)."""
    now = now or clock.now()
    if not _active(provider_id, terms.insurer_id):
        raise OlsError(_("Współpraca z tym ubezpieczycielem nie jest aktywna."))
    if not accepted(provider_id, terms):
        raise OlsError(_("Najpierw zaakceptuj regulamin tematyczny."))
    services = {s.pk: s for s in ThematicService.objects.filter(terms=terms)}
    changed: list[str] = []
    with transaction.atomic():
        for service_id, price in prices.items():
            service = services.get(service_id)
            if service is None:
                continue
            if price is None:
                if OfferedPrice.objects.filter(provider_id=provider_id, service=service).delete()[0]:
                    changed.append(f"{service.code}: –")
                continue
            if price <= 0:
                raise OlsError(_("Cena musi być większa od zera."), field=f"price_{service_id}")
            current = OfferedPrice.objects.filter(provider_id=provider_id, service=service).first()
            if current is None or current.price != price:
                OfferedPrice.objects.update_or_create(
                    provider_id=provider_id, service=service, defaults={"price": price, "updated_at": now}
                )
                changed.append(f"{service.code}: {price}")
        if changed:
            record_audit(
                provider_id=provider_id,
                action="ols.prices",
                target=terms,
                summary=f"Cennik usług ({terms.title}): " + ", ".join(changed),
                actor=actor,
            )
    return list(OfferedPrice.objects.filter(provider_id=provider_id, service__terms=terms).select_related("service"))


def claimable_services(
    provider_id: int, insurer: Insurer, now: dt.datetime | None = None
) -> list[tuple[ThematicService, Decimal]]:
    """The services a provider may claim for: of thematic terms in force that it accepted, with
    its price (a replaced version's services are no longer claimed)."""
    in_force = [t.pk for t in thematic_terms(insurer, now or clock.now())]
    prices = OfferedPrice.objects.filter(
        provider_id=provider_id,
        service__terms__in=in_force,
        service__terms__thematic_acceptances__provider_id=provider_id,
    ).select_related("service")
    return [(p.service, p.price) for p in prices.order_by("service__name")]


def file_claim(
    provider_id: int,
    insurer: Insurer,
    *,
    service_id: int,
    patient_name: str,
    patient_pesel: str,
    service_date: dt.date,
    actor,
    now: dt.datetime | None = None,
) -> Claim:
    """ "Wniosek o wypłatę świadczenia" at the provider's price of the service."""
    now = now or clock.now()
    if not _active(provider_id, insurer.pk):
        raise OlsError(_("Wnioski składa się tylko przy aktywnej współpracy z ubezpieczycielem."))
    prices = {service.pk: (service, price) for service, price in claimable_services(provider_id, insurer, now)}
    if service_id not in prices:
        raise OlsError(_("Wybierz usługę z zaakceptowanego regulaminu tematycznego, z podaną ceną."), field="service")
    pesel = patient_pesel.strip()
    if not pesel_number.is_valid(pesel):
        raise OlsError(_("Nieprawidłowy numer PESEL – sprawdź cyfry."), field="patient_pesel")
    if service_date > clock.local_today(at=now):
        raise OlsError(_("Data udzielenia świadczenia nie może być w przyszłości."), field="service_date")
    service, price = prices[service_id]
    cooperation = Cooperation.objects.get(provider_id=provider_id, insurer=insurer)
    earliest = cooperation.start_date or dt.date.min
    if service_date < earliest:
        raise OlsError(
            _("Świadczenie sprzed współpracy (przed %(day)s) nie może być objęte wnioskiem.")
            % {"day": earliest.strftime("%d.%m.%Y")},
            field="service_date",
        )
    with transaction.atomic():
        open_same = Claim.objects.select_for_update().filter(
            provider_id=provider_id,
            service=service,
            patient_pesel=pesel,
            service_date=service_date,
            status__in=[ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.SETTLED],
        )
        if open_same.exists():
            raise OlsError(_("Wniosek za to świadczenie tego ubezpieczonego z tego dnia już złożono."))
        claim = Claim.objects.create(
            provider_id=provider_id,
            insurer=insurer,
            number=uuid.uuid4().hex[:30],
            service=service,
            amount=price,
            patient_name=patient_name.strip(),
            patient_pesel=pesel,
            service_date=service_date,
            status=ClaimStatus.SUBMITTED,
            created_at=now,
            created_by=actor,
        )
        claim.number = f"WN/{clock.local_today(at=now).year}/{claim.pk:06d}"
        Claim.objects.filter(pk=claim.pk).update(number=claim.number)
        CLAIM.created(claim, actor=actor, now=now)
    return claim


def decide_claim(claim: Claim, *, accept: bool, reason: str, actor, now=None) -> Claim:
    """The insurer accepts a claim, or rejects it with a reason."""
    reason = reason.strip()
    if not accept and not reason:
        raise OlsError(_("Podaj powód odrzucenia wniosku."), field="reason")
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        CLAIM.move(
            locked,
            ClaimStatus.ACCEPTED if accept else ClaimStatus.REJECTED,
            actor=actor,
            reason=reason,
            now=now or clock.now(),
            decision_reason=reason[:500],
        )
    return locked


def make_settlement(
    provider_id: int, insurer: Insurer, *, period_start: dt.date, period_end: dt.date, actor, now=None
) -> Settlement:
    """A report of the accepted, not yet settled claims of the period; due in 3 business days."""
    now = now or clock.now()
    if period_end < period_start:
        raise OlsError(_("Koniec okresu nie może być przed jego początkiem."), field="period_end")
    with transaction.atomic():
        claims = list(
            Claim.objects.select_for_update()
            .filter(
                provider_id=provider_id,
                insurer=insurer,
                status=ClaimStatus.ACCEPTED,
                settlement__isnull=True,
                service_date__range=(period_start, period_end),
            )
            .order_by("pk")
        )
        if not claims:
            raise OlsError(_("W tym okresie nie ma zaakceptowanych, nierozliczonych wniosków."))
        total = sum((c.amount for c in claims), start=Decimal("0"))
        today = clock.local_today(at=now)
        settlement = Settlement.objects.create(
            provider_id=provider_id,
            insurer=insurer,
            number=uuid.uuid4().hex[:30],
            period_start=period_start,
            period_end=period_end,
            total=total,
            due_date=business_days_after(today, PAYMENT_BUSINESS_DAYS),
            status=SettlementStatus.DUE,
            created_at=now,
            created_by=actor,
        )
        settlement.number = f"RO/{today.year}/{settlement.pk:05d}"
        Settlement.objects.filter(pk=settlement.pk).update(number=settlement.number)
        SETTLEMENT.created(settlement, actor=actor, now=now)
        for claim in claims:
            CLAIM.move(claim, ClaimStatus.SETTLED, actor=actor, now=now, settlement=settlement)
    return settlement


def mark_paid(settlement: Settlement, *, actor, now=None) -> Settlement:
    """The insurer paid the settlement."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Settlement.objects.select_for_update().get(pk=settlement.pk)
        SETTLEMENT.move(locked, SettlementStatus.PAID, actor=actor, now=now, paid_at=now)
    return locked
