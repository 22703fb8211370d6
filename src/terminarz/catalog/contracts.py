"""Commercial contracts (G5, seed 000 §4.2.3): a payer's price list of services with the price of
one point, validity, VAT and places. A product's validity lies within the contract's, and one
service's products in a contract never overlap in time (two prices for one day would make the
price ambiguous). "Dodaj cały zakres" adds every active service of a product group at once.
Status: "umowa w przygotowaniu" → "Umowa aktywna" → "umowa zakończona", on `CONTRACT`."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.core.statemachine import Machine

from .models import Contract, ContractProduct, ContractStatus, Service, ServiceGroup

CONTRACT = Machine(
    Contract,
    transitions={
        "": {ContractStatus.DRAFT, ContractStatus.ACTIVE},
        ContractStatus.DRAFT: {ContractStatus.ACTIVE},
        ContractStatus.ACTIVE: {ContractStatus.ENDED},
    },
    subject="umowy",
    name="contract",
)


class ContractError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.field = field


def _overlapping(contract: Contract, service_id: int, start: dt.date, end: dt.date, exclude: int | None = None):
    qs = ContractProduct.objects.filter(
        contract=contract, service_id=service_id, valid_from__lte=end, valid_to__gte=start
    )
    return qs.exclude(pk=exclude) if exclude else qs


def add_product(
    contract: Contract,
    service: Service,
    *,
    point_price: Decimal,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    vat_rate: str,
    is_active: bool = True,
    units=(),
    actor,
) -> ContractProduct:
    """One priced service; its validity defaults to the contract's."""
    if service.provider_id != contract.provider_id:
        raise ContractError(_("Ta usługa należy do innej placówki."), field="service")
    if contract.status == ContractStatus.ENDED:
        raise ContractError(_("Umowa jest zakończona – nie można dodawać produktów."))
    start, end = valid_from or contract.valid_from, valid_to or contract.valid_to
    if end < start:
        raise ContractError(_("Data „do” nie może być wcześniejsza niż „od”."), field="valid_to")
    if start < contract.valid_from or end > contract.valid_to:
        raise ContractError(
            _("Ważność produktu musi mieścić się w okresie umowy (%(start)s – %(end)s).")
            % {"start": contract.valid_from.strftime("%d.%m.%Y"), "end": contract.valid_to.strftime("%d.%m.%Y")},
            field="valid_from",
        )
    with transaction.atomic():
        # The contract's row lock: two adds of one service cannot both pass the overlap check.
        Contract.objects.select_for_update().filter(pk=contract.pk).first()
        clash = _overlapping(contract, service.pk, start, end).first()
        if clash is not None:
            raise ContractError(
                _(
                    "Usługa %(code)s ma już w tej umowie cenę na okres %(start)s – %(end)s; "
                    "okresy nie mogą się nakładać."
                )
                % {
                    "code": service.code,
                    "start": clash.valid_from.strftime("%d.%m.%Y"),
                    "end": clash.valid_to.strftime("%d.%m.%Y"),
                },
                field="valid_from",
            )
        product = ContractProduct.objects.create(
            provider_id=contract.provider_id,
            contract=contract,
            service=service,
            point_price=point_price,
            valid_from=start,
            valid_to=end,
            vat_rate=vat_rate,
            is_active=is_active,
        )
        if units:
            product.units.set(units)
        record_audit(
            provider_id=contract.provider_id,
            action="contract.product_added",
            target=contract,
            summary=f"Umowa {contract.name}: dodano {service.code} – {point_price} zł "
            f"({start:%d.%m.%Y} – {end:%d.%m.%Y})",
            actor=actor,
        )
    return product


def add_whole_range(contract: Contract, group: ServiceGroup, *, actor) -> tuple[int, int]:
    """ "Dodaj cały zakres": every active service of the group not yet priced in the contract,
    at its general price, for the contract's period. Returns (added, skipped)."""
    if group.provider_id != contract.provider_id:
        raise ContractError(_("Ta grupa należy do innej placówki."), field="group")
    added = skipped = 0
    with transaction.atomic():
        for service in Service.objects.filter(provider_id=contract.provider_id, group=group, is_active=True):
            if _overlapping(contract, service.pk, contract.valid_from, contract.valid_to).exists():
                skipped += 1
                continue
            add_product(
                contract,
                service,
                point_price=service.price,
                valid_from=None,
                valid_to=None,
                vat_rate=service.vat_rate,
                actor=actor,
            )
            added += 1
    return added, skipped


def activate(contract: Contract, *, actor, now=None) -> Contract:
    if not contract.products.filter(is_active=True).exists():
        raise ContractError(_("Dodaj do umowy co najmniej jeden aktywny produkt."))
    with transaction.atomic():
        CONTRACT.move(contract, ContractStatus.ACTIVE, actor=actor, now=now or clock.now())
    return contract


def end(contract: Contract, *, actor, now=None) -> Contract:
    with transaction.atomic():
        CONTRACT.move(contract, ContractStatus.ENDED, actor=actor, now=now or clock.now())
    return contract
