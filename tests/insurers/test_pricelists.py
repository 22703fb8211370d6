"""G5: a payer's price list – overrides that follow their base services, the "niewysłane zmiany"
state, the signing certificate's checks, and the signed XML document: it verifies with the
certificate; one changed price, or another key, fails."""

import datetime as dt
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import etree
from signxml.xades import XAdESSigner

from terminarz.catalog import pricelists as catalog_pricelists
from terminarz.catalog.models import PayerService
from terminarz.core.models import AuditEntry
from terminarz.insurers import pricelists, services
from terminarz.insurers.models import PriceListPublication, SigningCertificate
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider
from tests.insurers.helpers import (
    PASSWORD,
    certificate,
    cooperate,
    make_insurer,
    p12_upload,
    payer_of,
    price_list_services,
)

pytestmark = pytest.mark.django_db
NS = {"c": pricelists.NAMESPACE}


@pytest.fixture
def world(frozen):
    provider = make_provider()
    user = get_user_model().objects.create_user("ada", password="x")
    insurer = make_insurer()
    cooperate(provider, insurer, user)
    return provider, insurer, payer_of(provider, insurer), price_list_services(provider), user


def test_override_is_idempotent_and_removal_takes_it_back(world):
    provider, _insurer, payer, svc, user = world
    first = catalog_pricelists.override(payer, svc["EKG"], actor=user)
    again = catalog_pricelists.override(payer, svc["EKG"], actor=user)
    assert again.pk == first.pk
    assert PayerService.objects.filter(payer=payer).count() == 1
    assert catalog_pricelists.remove(payer, svc["EKG"], actor=user) is True
    assert catalog_pricelists.remove(payer, svc["EKG"], actor=user) is False
    assert PayerService.objects.filter(payer=payer).count() == 0


def test_groups_count_overridden_and_not_overridden(world):
    provider, _insurer, payer, svc, user = world
    catalog_pricelists.override(payer, svc["EKG"], actor=user)
    rows = [
        (r["group"].name, r["overridden"], r["not_overridden"]) for r in catalog_pricelists.groups_with_counts(payer)
    ]
    assert rows == [("Dermatologia", 0, 1), ("Kardiologia", 1, 1)]


def test_another_providers_service_or_an_ended_payer_cannot_be_overridden(world):
    provider, insurer, payer, svc, user = world
    foreign = price_list_services(make_provider())["EKG"]
    with pytest.raises(catalog_pricelists.PriceListError) as refused:
        catalog_pricelists.override(payer, foreign, actor=user)
    assert refused.value.message == "Tej usługi nie można nadpisać do cennika płatnika."
    services.end(services.cooperation(provider.pk, insurer), confirmed=True, actor=user)
    payer.refresh_from_db()
    with pytest.raises(catalog_pricelists.PriceListError) as ended:
        catalog_pricelists.override(payer, svc["EKG"], actor=user)
    assert ended.value.message == "Współpraca z tym płatnikiem została zakończona."


def signed_list(world):
    provider, _insurer, payer, svc, user = world
    for code in ("KONS-KARD", "EKG", "KONS-DERM"):
        catalog_pricelists.override(payer, svc[code], actor=user)
    pricelists.upload_certificate(provider.pk, upload=p12_upload(), password=PASSWORD, actor=user)
    return pricelists.publish(payer, password=PASSWORD, actor=user)


def test_the_signed_price_list_verifies_and_holds_the_overridden_services(world):
    provider, insurer, payer, svc, user = world
    publication = signed_list(world)
    content = pricelists.verify(publication.document, publication.certificate.certificate_pem)
    services_sent = [
        (u.get("kod"), u.get("cenaBrutto"), u.get("stawkaVat"), u.getparent().get("nazwa"))
        for u in content.iterfind("c:Grupa/c:Usluga", NS)
    ]
    assert services_sent == [
        ("KONS-DERM", "200.00", "zw", "Dermatologia"),
        ("EKG", "60.00", "zw", "Kardiologia"),
        ("KONS-KARD", "220.00", "zw", "Kardiologia"),
    ]
    ekg = content.find("c:Grupa/c:Usluga[@kod='EKG']", NS)
    assert ekg.get("id") == str(PayerService.objects.get(payer=payer, service=svc["EKG"]).pk)
    assert ekg.get("idBazowej") == str(svc["EKG"].pk)
    assert content.find("c:Platnik", NS).get("nazwa") == "TU Zdrowie"
    assert publication.services_count == 3
    summary = AuditEntry.objects.get(provider_id=provider.pk, action="pricelist.published").summary
    assert summary == "Wyeksportowano 3 usługi do TU Zdrowie (Dermatologia: 1, Kardiologia: 2)."


def test_one_changed_price_breaks_the_signature(world):
    publication = signed_list(world)
    tampered = publication.document.replace('cenaBrutto="60.00"', 'cenaBrutto="6.00"')
    assert tampered != publication.document
    with pytest.raises(pricelists.SigningError) as refused:
        pricelists.verify(tampered, publication.certificate.certificate_pem)
    assert refused.value.message == "Podpis cennika jest nieprawidłowy."


def test_a_signature_does_not_verify_with_another_certificate(world):
    publication = signed_list(world)
    _key, other, _ = pkcs12.load_key_and_certificates(certificate("Ktoś inny"), PASSWORD.encode())
    other_pem = other.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(pricelists.SigningError):
        pricelists.verify(publication.document, other_pem)


def test_a_later_change_of_a_base_service_shows_as_unsent_and_is_sent_again(world):
    provider, _insurer, payer, svc, user = world
    assert pricelists.status(payer).changed is False  # nothing overridden, nothing to send
    publication = signed_list(world)
    state = pricelists.status(payer)
    assert (state.last.pk, state.count, state.changed) == (publication.pk, 3, False)
    ekg = svc["EKG"]
    ekg.price = Decimal("65.00")
    ekg.save()
    assert pricelists.status(payer).changed is True
    again = pricelists.publish(payer, password=PASSWORD, actor=user)
    content = pricelists.verify(again.document, again.certificate.certificate_pem)
    assert content.find("c:Grupa/c:Usluga[@kod='EKG']", NS).get("cenaBrutto") == "65.00"
    assert pricelists.status(payer).changed is False
    svc["KONS-DERM"].is_active = False
    svc["KONS-DERM"].save()
    assert pricelists.status(payer).count == 2
    assert pricelists.status(payer).changed is True


def test_signing_needs_the_certificate_and_its_password(world):
    provider, _insurer, payer, svc, user = world
    catalog_pricelists.override(payer, svc["EKG"], actor=user)
    with pytest.raises(pricelists.SigningError) as none:
        pricelists.publish(payer, password=PASSWORD, actor=user)
    assert none.value.message == "Najpierw dodaj certyfikat do podpisu cenników."
    pricelists.upload_certificate(provider.pk, upload=p12_upload(), password=PASSWORD, actor=user)
    with pytest.raises(pricelists.SigningError) as wrong:
        pricelists.publish(payer, password="zle-haslo", actor=user)
    assert (wrong.value.field, PriceListPublication.objects.count()) == ("password", 0)


def test_an_empty_price_list_is_not_sent(world):
    provider, _insurer, payer, _svc, user = world
    pricelists.upload_certificate(provider.pk, upload=p12_upload(), password=PASSWORD, actor=user)
    with pytest.raises(pricelists.SigningError) as refused:
        pricelists.publish(payer, password=PASSWORD, actor=user)
    assert refused.value.message == "Cennik płatnika jest pusty – najpierw nadpisz do niego usługi."


@pytest.mark.parametrize(
    ("upload", "password", "message"),
    [
        ("valid", "", "Podaj hasło do pliku certyfikatu."),
        ("no-password", "x", "Plik certyfikatu musi być chroniony hasłem."),
        (
            SimpleUploadedFile("cert.pem", b"-----BEGIN"),
            PASSWORD,
            "Wybierz plik certyfikatu w formacie PKCS#12 (.p12 lub .pfx).",
        ),
        (
            SimpleUploadedFile("duzy.p12", b"0" * (64 * 1024 + 1)),
            PASSWORD,
            "Plik certyfikatu może mieć najwyżej 64 KB.",
        ),
        (
            "valid",
            "zle-haslo",
            "Nie udało się otworzyć pliku certyfikatu – sprawdź hasło i czy to plik PKCS#12 (.p12, .pfx).",
        ),
        (
            SimpleUploadedFile("smieci.pfx", b"to nie jest certyfikat"),
            PASSWORD,
            "Nie udało się otworzyć pliku certyfikatu – sprawdź hasło i czy to plik PKCS#12 (.p12, .pfx).",
        ),
        ("expired", PASSWORD, "Certyfikat nie jest obecnie ważny."),
    ],
)
def test_bad_certificates_are_refused_and_nothing_is_kept(world, upload, password, message):
    provider, *_rest, user = world
    if upload == "valid":
        upload = p12_upload()
    elif upload == "no-password":
        upload = p12_upload(certificate("Bez hasła", ""), name="bez-hasla.p12")
    elif upload == "expired":
        upload = p12_upload(certificate("Stary", PASSWORD, days=30, issued_days_ago=400), name="stary.p12")
    with pytest.raises(pricelists.SigningError) as refused:
        pricelists.upload_certificate(provider.pk, upload=upload, password=password, actor=user)
    assert refused.value.message == message
    assert SigningCertificate.objects.filter(provider_id=provider.pk).count() == 0


def test_a_new_certificate_replaces_the_old_one(world):
    provider, *_rest, user = world
    first = pricelists.upload_certificate(provider.pk, upload=p12_upload(), password=PASSWORD, actor=user)
    second = pricelists.upload_certificate(
        provider.pk, upload=p12_upload(certificate("Nowy certyfikat")), password=PASSWORD, actor=user
    )
    assert pricelists.active_certificate(provider.pk).pk == second.pk
    first.refresh_from_db()
    assert first.is_active is False
    assert second.subject == "CN=Nowy certyfikat,O=Nowy certyfikat,C=PL"


def test_the_document_names_the_provider_and_the_time(world):
    provider, *_rest = world
    publication = signed_list(world)
    root = etree.fromstring(publication.document.encode())
    assert root.get("utworzono") == FROZEN_NOW.isoformat(timespec="seconds")
    assert root.find("c:Swiadczeniodawca", NS).get("nazwa") == provider.name
    assert publication.created_at == FROZEN_NOW
    assert publication.certificate.not_before == FROZEN_NOW - dt.timedelta(days=1)


def test_the_same_list_twice_is_sent_once(world):
    provider, _insurer, payer, _svc, user = world
    signed_list(world)
    with pytest.raises(pricelists.SigningError) as again:
        pricelists.publish(payer, password=PASSWORD, actor=user)
    assert (
        again.value.message == "Ubezpieczyciel ma już ten cennik – od ostatniego wysłania nic się w nim nie zmieniło."
    )
    assert PriceListPublication.objects.filter(payer=payer).count() == 1


def test_a_replaced_certificate_keeps_no_key(world):
    provider, *_rest, user = world
    first = pricelists.upload_certificate(provider.pk, upload=p12_upload(), password=PASSWORD, actor=user)
    pricelists.upload_certificate(provider.pk, upload=p12_upload(certificate("Nowy")), password=PASSWORD, actor=user)
    first.refresh_from_db()
    assert (first.is_active, first.pkcs12) == (False, "")


def test_verify_refuses_another_document_or_another_providers_list(world):
    provider, insurer, payer, _svc, user = world
    publication = signed_list(world)
    pem = publication.certificate.certificate_pem
    assert pricelists.verify(publication.document, pem, provider_id=provider.pk, insurer_id=insurer.pk).tag.endswith(
        "CennikPlatnika"
    )
    with pytest.raises(pricelists.SigningError):
        pricelists.verify(publication.document, pem, provider_id=provider.pk + 1)
    with pytest.raises(pricelists.SigningError):
        pricelists.verify(publication.document, pem, insurer_id=insurer.pk + 1)
    key, cert, _ = pkcs12.load_key_and_certificates(certificate(), PASSWORD.encode())
    other = XAdESSigner().sign(etree.fromstring(b"<Umowa xmlns='urn:inne'><a/></Umowa>"), key=key, cert=[cert])
    other_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(pricelists.SigningError):
        pricelists.verify(etree.tostring(other).decode(), other_pem)
