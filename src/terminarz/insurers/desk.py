"""The insurer's side of cooperation (G2, G3, A3): what an insurer's desk reads and changes.

An insurer sees a provider only through a cooperation offer it was sent: the offers (sent,
active, rejected, ended – not one still being prepared), their parameters, documents, location
codes and history, and the price lists those providers signed and sent to it. Every lookup here
takes the insurer; the desk's views call nothing else. Decisions use the same services as
everything else (`services.decide`, `services.enter_operator_code`)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from terminarz.catalog.models import VatRate
from terminarz.core import clock

from . import pricelists
from .models import (
    Claim,
    Cooperation,
    CooperationStatus,
    Insurer,
    InsurerTerms,
    PriceListPublication,
    Settlement,
    ThematicService,
)

S = CooperationStatus
VISIBLE = (S.OFFER_SENT, S.ACTIVE, S.REJECTED, S.ENDED)


def provider_ids(insurer_id: int) -> list[int]:
    """The providers an insurer may see: those that sent it an offer. The desk's tenancy scope
    (queries on provider-owned rows are narrowed to these)."""
    return list(
        Cooperation.unscoped.filter(insurer_id=insurer_id, status__in=VISIBLE).values_list("provider_id", flat=True)
    )


def cooperations(insurer: Insurer) -> QuerySet[Cooperation]:
    """Offers to decide first, then the others by provider name."""
    return Cooperation.objects.filter(insurer=insurer, status__in=VISIBLE).select_related("provider")


def cooperation(insurer: Insurer, cooperation_id) -> Cooperation | None:
    try:
        return cooperations(insurer).get(pk=int(cooperation_id))
    except (Cooperation.DoesNotExist, ValueError, TypeError, OverflowError):
        return None


class TermsError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.field = field


def publish_terms(
    insurer: Insurer,
    *,
    kind: str,
    area: str = "",
    title: str,
    version: str,
    body: str,
    effective_from: dt.datetime,
    actor,
    now: dt.datetime | None = None,
) -> InsurerTerms:
    """A new version of the insurer's terms (general or thematic). It takes effect at
    `effective_from` (not in the past); cooperation started before keeps the version accepted."""
    now = now or clock.now()
    if effective_from < now - dt.timedelta(minutes=5):
        raise TermsError(_("Data obowiązywania nie może być w przeszłości."), field="effective_from")
    if InsurerTerms.objects.of(insurer).filter(kind=kind, title=title, version=version).exists():
        raise TermsError(_("Ta wersja tego regulaminu już istnieje – podaj nowy numer wersji."), field="version")
    try:
        with transaction.atomic():
            return InsurerTerms.objects.create(
                insurer=insurer,
                kind=kind,
                area=area,
                title=title,
                version=version,
                body=body,
                effective_from=effective_from,
                published_by=actor,
            )
    except IntegrityError as exc:  # the same version sent twice at once
        raise TermsError(
            _("Ta wersja tego regulaminu już istnieje – podaj nowy numer wersji."), field="version"
        ) from exc


@dataclass(frozen=True)
class ReceivedPriceList:
    """A price list as the insurer reads it: verified against the certificate it names."""

    publication: PriceListPublication
    verified: bool
    services: list[dict]


def received(publication: PriceListPublication) -> ReceivedPriceList:
    """The services of a received price list, read only from the verified document."""
    try:
        content = pricelists.verify(
            publication.document,
            publication.certificate.certificate_pem,
            provider_id=publication.provider_id,
            insurer_id=publication.insurer_id,
        )
    except pricelists.SigningError:
        return ReceivedPriceList(publication=publication, verified=False, services=[])
    rows = []
    for group in content.iterfind(f"{{{pricelists.NAMESPACE}}}Grupa"):
        for service in group.iterfind(f"{{{pricelists.NAMESPACE}}}Usluga"):
            rows.append(
                {
                    "group": group.get("nazwa") or "",
                    "code": service.get("kod"),
                    "name": service.get("nazwa"),
                    "price": _price(service.get("cenaBrutto")),
                    "vat": VAT_LABELS.get(service.get("stawkaVat") or "", service.get("stawkaVat")),
                    "id": service.get("id"),
                }
            )
    return ReceivedPriceList(publication=publication, verified=True, services=rows)


VAT_LABELS = dict(VatRate.choices)


def _price(text: str | None) -> Decimal | None:
    try:
        return Decimal(text or "")
    except InvalidOperation:
        return None


def price_lists(insurer: Insurer) -> QuerySet[PriceListPublication]:
    return PriceListPublication.objects.filter(insurer=insurer).select_related("provider", "certificate")


def price_list(insurer: Insurer, publication_id) -> PriceListPublication | None:
    try:
        return price_lists(insurer).get(pk=int(publication_id))
    except (PriceListPublication.DoesNotExist, ValueError, TypeError, OverflowError):
        return None


def add_limit(terms: InsurerTerms, *, code: str, name: str, limit: Decimal) -> ThematicService:
    """A service of a thematic terms document with its price limit (G9)."""
    if ThematicService.objects.filter(terms=terms, code__iexact=code).exists():
        raise TermsError(_("Usługa o tym kodzie już jest w tym regulaminie."), field="code")
    try:
        with transaction.atomic():
            return ThematicService.objects.create(terms=terms, code=code, name=name, limit=limit)
    except IntegrityError as exc:  # the same code sent twice at once
        raise TermsError(_("Usługa o tym kodzie już jest w tym regulaminie."), field="code") from exc


def claims(insurer: Insurer) -> QuerySet[Claim]:
    return Claim.objects.filter(insurer=insurer).select_related("provider", "service", "settlement")


def claim(insurer: Insurer, claim_id) -> Claim | None:
    try:
        return claims(insurer).get(pk=int(claim_id))
    except (Claim.DoesNotExist, ValueError, TypeError, OverflowError):
        return None


def settlements(insurer: Insurer) -> QuerySet[Settlement]:
    return Settlement.objects.filter(insurer=insurer).select_related("provider")


def settlement(insurer: Insurer, settlement_id) -> Settlement | None:
    try:
        return settlements(insurer).get(pk=int(settlement_id))
    except (Settlement.DoesNotExist, ValueError, TypeError, OverflowError):
        return None
