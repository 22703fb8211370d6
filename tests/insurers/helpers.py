"""Shared set-up for the payers and price-list tests: an insurer the provider actively
cooperates with (so it is the provider's payer), services in groups, a signing certificate."""

import datetime as dt
import functools
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from terminarz.catalog import pricelists as catalog_pricelists
from terminarz.catalog.models import Payer, Service, ServiceGroup
from terminarz.demo.certificates import self_signed_pkcs12
from terminarz.insurers import services
from terminarz.insurers.models import Cooperation, InsuranceService, Insurer, InsurerTerms
from tests.conftest import FROZEN_NOW
from tests.factories import clinic, every_day

PDF = b"%PDF-1.7\n%test\n"
PASSWORD = "tajne-haslo"


def make_insurer(slug="tu-zdrowie", name="TU Zdrowie", nip="5260250274") -> Insurer:
    insurer = Insurer.objects.create(name=name, slug=slug, nip=nip, required_documents=["Wpis do rejestru"])
    InsurerTerms.objects.create(
        insurer=insurer, title="Regulamin", version="1.0", body="§ 1.", effective_from=FROZEN_NOW - dt.timedelta(days=1)
    )
    return insurer


def cooperate(provider, insurer, user, *, until="active"):
    """Drive the cooperation to `until` ("offer_sent" or "active")."""
    services.accept_service_terms(provider.pk, accepted=True, actor=user)
    coop = services.start(services.cooperation(provider.pk, insurer), terms_version="1.0", understood=True, actor=user)
    coop = services.save_parameters(
        coop,
        start_date=dt.date(2026, 11, 1),
        iban="PL61 1090 1014 0000 0712 1981 2874",
        contact_name="Anna Kowalska",
        contact_email="anna@example.com",
        contact_phone="",
    )
    services.add_document(coop, title="Wpis do rejestru", upload=SimpleUploadedFile("rejestr.pdf", PDF), actor=user)
    coop = services.send_offer(coop, actor=user)
    if until == "active":
        coop = services.decide(coop, accept=True, reason="", actor=None)
    return coop


def payer_of(provider, insurer) -> Payer:
    return Payer.objects.get(provider=provider, insurer_ref=insurer.pk)


def price_list_services(provider) -> dict[str, Service]:
    """Two groups: Kardiologia (KONS-KARD 220, EKG 60) and Dermatologia (KONS-DERM 200)."""
    kard = ServiceGroup.objects.create(provider=provider, code="KARD", name="Kardiologia")
    derm = ServiceGroup.objects.create(provider=provider, code="DERM", name="Dermatologia")
    made = {}
    for code, name, price, group in (
        ("KONS-KARD", "Konsultacja kardiologiczna", "220.00", kard),
        ("EKG", "EKG spoczynkowe", "60.00", kard),
        ("KONS-DERM", "Konsultacja dermatologiczna", "200.00", derm),
    ):
        made[code] = Service.objects.create(provider=provider, code=code, name=name, price=Decimal(price), group=group)
    return made


@functools.cache
def certificate(
    common_name: str = "Przychodnia Testowa", password: str = PASSWORD, days: int = 730, issued_days_ago: int = 0
) -> bytes:
    return self_signed_pkcs12(common_name, password, now=FROZEN_NOW - dt.timedelta(days=issued_days_ago), days=days)


def p12_upload(data: bytes | None = None, name: str = "placowka.p12") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else certificate())


def online_for_insurers(provider, insurer) -> None:
    """The provider takes online bookings from insurers, and from this one (G1, seed 000 §4.1.3)."""
    InsuranceService.objects.filter(provider=provider).update(online_registration=True, auto_enable_new=True)
    Cooperation.objects.filter(provider=provider, insurer=insurer).update(online_registration=True)


def payer_schedule(provider, insurer, user, *, today, days: int = 3, spec: str = "kardiologia"):
    """An active cooperation with online booking; EKG and KONS-KARD on the insurer's price list;
    a private schedule whose every block offers the Kardiologia group to the insurer's payer."""
    cooperate(provider, insurer, user)
    online_for_insurers(provider, insurer)
    payer = payer_of(provider, insurer)
    svc = price_list_services(provider)
    for code in ("EKG", "KONS-KARD"):
        catalog_pricelists.override(payer, svc[code], actor=user)
    _, unit, practitioner, schedule = clinic(
        today=today,
        days=days,
        provider=provider,
        spec=spec,
        blocks=every_day(dt.time(8), dt.time(12), financing="private"),
    )
    for block in schedule.blocks.all():
        block.payers.add(payer)
        block.payer_groups.add(svc["EKG"].group)
    return payer, svc, schedule
