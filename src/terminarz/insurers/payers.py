"""Payers in the clinic (G4): the insurers a provider actively cooperates with become its payers
beside "Pacjent" and "NFZ" (seed 001 §11.1 "Pobranie płatników"; seed 000 §4.1.3 "Po nawiązaniu
współpracy … uaktywni się Płatnik Ubezpieczyciela").

The import compares the provider's payer rows with its active cooperations: a new one is added,
a changed name or NIP is updated, and a payer whose cooperation is over is deactivated
("usunięto"; the row stays for the visits that name it). It runs on the "Pobierz płatników"
button and by itself when a cooperation becomes active or ends; each run is one transaction with
the audit entry the seed shows ("Zaimportowano N płatników: dodano a, zaktualizowano u,
usunięto d")."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import ngettext

from terminarz.catalog.models import Payer
from terminarz.core import clock
from terminarz.core.audit import record_audit

from .models import Cooperation, CooperationStatus


@dataclass(frozen=True)
class ImportResult:
    total: int
    added: int
    updated: int
    removed: int

    @property
    def summary(self) -> str:
        return ngettext(
            "Zaimportowano %(n)d płatnika: dodano %(a)d, zaktualizowano %(u)d, usunięto %(d)d.",
            "Zaimportowano %(n)d płatników: dodano %(a)d, zaktualizowano %(u)d, usunięto %(d)d.",
            self.total,
        ) % {"n": self.total, "a": self.added, "u": self.updated, "d": self.removed}


def import_payers(provider_id: int, *, actor, now: dt.datetime | None = None) -> ImportResult:
    now = now or clock.now()
    with transaction.atomic():
        existing = {p.insurer_ref: p for p in Payer.objects.select_for_update().filter(provider_id=provider_id)}
        active = list(
            Cooperation.objects.filter(provider_id=provider_id, status=CooperationStatus.ACTIVE)
            .select_related("insurer")
            .order_by("insurer__name")
        )
        added = updated = removed = 0
        for coop in active:
            insurer = coop.insurer
            payer = existing.pop(insurer.pk, None)
            if payer is None:
                Payer.objects.create(
                    provider_id=provider_id, insurer_ref=insurer.pk, name=insurer.name, nip=insurer.nip, imported_at=now
                )
                added += 1
            elif (payer.name, payer.nip, payer.is_active) != (insurer.name, insurer.nip, True):
                payer.name, payer.nip, payer.is_active, payer.imported_at = insurer.name, insurer.nip, True, now
                payer.save(update_fields=["name", "nip", "is_active", "imported_at"])
                updated += 1
        for payer in existing.values():
            if payer.is_active:
                payer.is_active, payer.imported_at = False, now
                payer.save(update_fields=["is_active", "imported_at"])
                removed += 1
        result = ImportResult(total=len(active), added=added, updated=updated, removed=removed)
        record_audit(
            provider_id=provider_id,
            action="payers.imported",
            target=None,
            summary=result.summary,
            actor=actor,
            changes={"added": added, "updated": updated, "removed": removed},
        )
    return result


def payer_for(provider_id: int, insurer_id: int) -> Payer | None:
    """The provider's active payer for this insurer, if the import made one."""
    return Payer.objects.filter(provider_id=provider_id, insurer_ref=insurer_id, is_active=True).first()
