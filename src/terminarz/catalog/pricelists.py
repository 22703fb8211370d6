"""Price lists (G5, seed 001 §11.2): the general price list is the provider's services with their
gross prices; a payer's price list is the services overridden from it ("usługi nadpisane").
An override keeps no copy of the name or price, so it follows later changes of its base service;
`fingerprint` tells whether the list differs from what was last sent to the payer."""

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from terminarz.core.audit import record_audit

from .models import Payer, PayerService, Service, ServiceGroup


class PriceListError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def overrides(payer: Payer) -> list[PayerService]:
    """The payer's price list: overrides of active services, by group and name."""
    return list(
        PayerService.objects.filter(payer=payer, service__is_active=True)
        .select_related("service__group")
        .order_by("service__group__name", "service__name", "pk")
    )


def groups_with_counts(payer: Payer) -> list[dict]:
    """Each group of the general price list with how many of its active services the payer's
    list holds ("Usługi nadpisane") and how many it does not ("Usługi nienadpisane")."""
    services = Service.objects.filter(provider_id=payer.provider_id, is_active=True).values_list("pk", "group_id")
    taken = set(PayerService.objects.filter(payer=payer).values_list("service_id", flat=True))
    counts: dict[int | None, list[int]] = {}
    for service_id, group_id in services:
        counts.setdefault(group_id, [0, 0])[0 if service_id in taken else 1] += 1
    groups = {g.pk: g for g in ServiceGroup.objects.filter(provider_id=payer.provider_id)}
    rows = [
        {"group": groups.get(gid) if gid else None, "overridden": c[0], "not_overridden": c[1]}
        for gid, c in counts.items()
    ]
    return sorted(rows, key=lambda r: (r["group"] is None, r["group"].name if r["group"] else ""))


def override(payer: Payer, service: Service, *, actor) -> PayerService:
    """ "Nadpisz": the service joins the payer's price list (a second click changes nothing)."""
    if service.provider_id != payer.provider_id or not service.is_active:
        raise PriceListError(_("Tej usługi nie można nadpisać do cennika płatnika."))
    if not payer.is_active:
        raise PriceListError(_("Współpraca z tym płatnikiem została zakończona."))
    existing = PayerService.objects.filter(payer=payer, service=service).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            made = PayerService.objects.create(provider_id=payer.provider_id, payer=payer, service=service)
            record_audit(
                provider_id=payer.provider_id,
                action="pricelist.overridden",
                target=made,
                summary=_("Nadpisano usługę %(code)s do cennika płatnika %(payer)s")
                % {"code": service.code, "payer": payer.name},
                actor=actor,
            )
    except IntegrityError:  # a parallel click made it
        return PayerService.objects.get(payer=payer, service=service)
    return made


def remove(payer: Payer, service: Service, *, actor) -> bool:
    """ "Usuń z cennika płatnika": the service goes back to "Usługi nienadpisane"."""
    with transaction.atomic():
        deleted, _detail = PayerService.objects.filter(payer=payer, service=service).delete()
        if deleted:
            record_audit(
                provider_id=payer.provider_id,
                action="pricelist.removed",
                target=service,
                summary=_("Usunięto usługę %(code)s z cennika płatnika %(payer)s")
                % {"code": service.code, "payer": payer.name},
                actor=actor,
            )
    return bool(deleted)


@dataclass(frozen=True)
class Line:
    """One service of a payer's price list as it is sent: the override's id and its base's."""

    override_id: int
    service_id: int
    group_code: str
    group_name: str
    code: str
    name: str
    price: str
    vat_rate: str
    valid_from: str
    valid_to: str


def lines(payer: Payer) -> list[Line]:
    out = []
    for row in overrides(payer):
        s = row.service
        out.append(
            Line(
                override_id=row.pk,
                service_id=s.pk,
                group_code=s.group.code if s.group else "",
                group_name=s.group.name if s.group else "",
                code=s.code,
                name=s.name,
                price=f"{s.price:.2f}",
                vat_rate=s.vat_rate,
                valid_from=s.valid_from.isoformat() if s.valid_from else "",
                valid_to=s.valid_to.isoformat() if s.valid_to else "",
            )
        )
    return out


def fingerprint(payer_lines: list[Line]) -> str:
    """The same list of lines gives the same value; any change of a line, a line more or less,
    gives another one."""
    digest = hashlib.sha256()
    for line in payer_lines:
        digest.update(repr(tuple(vars(line).values())).encode())
        digest.update(b"\n")
    return digest.hexdigest()
