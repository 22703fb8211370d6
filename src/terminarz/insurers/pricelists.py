"""Sending a payer's price list to the insurer (G5, seed 001 §11.3): an XML document of the
overridden services, signed with the provider's certificate (XAdES-BES enveloped signature,
`signxml`), kept as sent; the insurer's side verifies it with the certificate.

The provider uploads its certificate as a PKCS#12 file (.p12/.pfx); the file is checked (the
password opens it, it holds a key and its certificate, the certificate is valid now) and kept
encrypted. Its password is asked for again at each signing and never stored."""

import base64
import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables
from lxml import etree
from signxml import InvalidInput, InvalidSignature
from signxml.xades import XAdESSigner, XAdESVerifier

from terminarz.catalog import pricelists
from terminarz.catalog.models import Payer
from terminarz.core import clock
from terminarz.core.audit import record_audit

from .models import Insurer, PriceListPublication, SigningCertificate

NAMESPACE = "urn:terminarz:cennik-platnika:1"
CERTIFICATE_MAX_BYTES = 64 * 1024
PKCS12_EXTENSIONS = (".p12", ".pfx")


class SigningError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.field = field


# -- the certificate -----------------------------------------------------------------------------


@sensitive_variables("password")
def _load(data: bytes, password: str):
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except ValueError as exc:
        raise SigningError(
            _("Nie udało się otworzyć pliku certyfikatu – sprawdź hasło i czy to plik PKCS#12 (.p12, .pfx)."),
            field="password",
        ) from exc
    if key is None or cert is None:
        raise SigningError(_("Plik musi zawierać certyfikat wraz z kluczem prywatnym."), field="file")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError(_("Obsługiwane są klucze RSA i EC."), field="file")
    return key, cert


def _opens_without_password(data: bytes) -> bool:
    try:
        pkcs12.load_key_and_certificates(data, None)
    except ValueError:
        return False
    return True


def _signs(cert) -> bool:
    """A certificate whose key usage is stated must allow signatures."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return usage.digital_signature or usage.content_commitment


@sensitive_variables("password", "data")
def upload_certificate(provider_id: int, *, upload, password: str, actor, now: dt.datetime | None = None):
    """Check and keep the provider's certificate; the one before it is switched off and its key
    dropped."""
    now = now or clock.now()
    if not password:
        raise SigningError(_("Podaj hasło do pliku certyfikatu."), field="password")
    name = (getattr(upload, "name", "") or "").lower()
    if not name.endswith(PKCS12_EXTENSIONS):
        raise SigningError(_("Wybierz plik certyfikatu w formacie PKCS#12 (.p12 lub .pfx)."), field="file")
    if upload.size > CERTIFICATE_MAX_BYTES:
        raise SigningError(_("Plik certyfikatu może mieć najwyżej 64 KB."), field="file")
    data = upload.read(CERTIFICATE_MAX_BYTES + 1)
    if _opens_without_password(data):
        raise SigningError(_("Plik certyfikatu musi być chroniony hasłem."), field="file")
    _key, cert = _load(data, password)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningError(_("Certyfikat nie jest obecnie ważny."), field="file")
    if not _signs(cert):
        raise SigningError(_("Ten certyfikat nie służy do składania podpisów."), field="file")
    subject = cert.subject.rfc4514_string()[:300]
    with transaction.atomic():
        earlier = SigningCertificate.objects.select_for_update().filter(provider_id=provider_id, is_active=True)
        for old in earlier:
            old.is_active, old.pkcs12 = False, ""
            old.save(update_fields=["is_active", "pkcs12"])
        made = SigningCertificate.objects.create(
            provider_id=provider_id,
            pkcs12=base64.b64encode(data).decode(),
            certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            subject=subject,
            serial=format(cert.serial_number, "x")[:80],
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            uploaded_at=now,
            uploaded_by=actor,
        )
        record_audit(
            provider_id=provider_id,
            action="certificate.uploaded",
            target=made,
            summary=_("Dodano certyfikat do podpisu cenników: %(subject)s") % {"subject": subject},
            actor=actor,
        )
    return made


def active_certificate(provider_id: int) -> SigningCertificate | None:
    return SigningCertificate.objects.filter(provider_id=provider_id, is_active=True).first()


# -- the document --------------------------------------------------------------------------------


def build(provider, insurer: Insurer, payer: Payer, lines: list[pricelists.Line], now: dt.datetime):
    """The unsigned price list: the provider, the payer, and its services by group."""
    root = etree.Element(f"{{{NAMESPACE}}}CennikPlatnika", nsmap={None: NAMESPACE})
    root.set("wersja", "1")
    root.set("utworzono", now.isoformat(timespec="seconds"))
    etree.SubElement(root, f"{{{NAMESPACE}}}Swiadczeniodawca", id=str(provider.pk), nazwa=provider.name)
    etree.SubElement(root, f"{{{NAMESPACE}}}Platnik", id=str(insurer.pk), nazwa=insurer.name, nip=insurer.nip)
    groups: dict[tuple[str, str], etree._Element] = {}
    for line in lines:
        key = (line.group_code, line.group_name)
        if key not in groups:
            groups[key] = etree.SubElement(root, f"{{{NAMESPACE}}}Grupa", kod=line.group_code, nazwa=line.group_name)
        attributes = {
            "id": str(line.override_id),
            "idBazowej": str(line.service_id),
            "kod": line.code,
            "nazwa": line.name,
            "cenaBrutto": line.price,
            "stawkaVat": line.vat_rate,
        }
        if line.valid_from:
            attributes["waznaOd"] = line.valid_from
        if line.valid_to:
            attributes["waznaDo"] = line.valid_to
        etree.SubElement(groups[key], f"{{{NAMESPACE}}}Usluga", attributes)
    return root


@sensitive_variables("password", "key")
def sign(root, certificate: SigningCertificate, password: str) -> str:
    key, cert = _load(base64.b64decode(certificate.pkcs12), password)
    signed = XAdESSigner().sign(root, key=key, cert=[cert])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8").decode()


def verify(
    document: str, certificate_pem: str, *, provider_id: int | None = None, insurer_id: int | None = None
) -> etree._Element:
    """The signed price list's content if its XAdES signature verifies with this certificate and
    it is a price list (of this provider, for this insurer, when given); `SigningError` if a
    byte of it was changed, another key signed it, or it is another document."""
    invalid = _("Podpis cennika jest nieprawidłowy.")
    try:
        results = XAdESVerifier().verify(document.encode(), x509_cert=certificate_pem, expect_references=3)
    except (InvalidSignature, InvalidInput, etree.XMLSyntaxError, ValueError) as exc:
        raise SigningError(invalid) from exc
    content = results[0].signed_xml
    if content is None or content.tag != f"{{{NAMESPACE}}}CennikPlatnika":
        raise SigningError(invalid)
    provider = content.find(f"{{{NAMESPACE}}}Swiadczeniodawca")
    insurer = content.find(f"{{{NAMESPACE}}}Platnik")
    if provider_id is not None and (provider is None or provider.get("id") != str(provider_id)):
        raise SigningError(invalid)
    if insurer_id is not None and (insurer is None or insurer.get("id") != str(insurer_id)):
        raise SigningError(invalid)
    return content


# -- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayerStatus:
    """What the payer list shows: whether the list was sent and whether it changed since."""

    last: PriceListPublication | None
    count: int
    changed: bool


def status(payer: Payer) -> PayerStatus:
    current = pricelists.lines(payer)
    last = PriceListPublication.objects.filter(payer=payer).first()
    if last is None:
        changed = bool(current)
    else:
        changed = last.fingerprint != pricelists.fingerprint(current)
    return PayerStatus(last=last, count=len(current), changed=changed)


@sensitive_variables("password")
def publish(payer: Payer, *, password: str, actor, now: dt.datetime | None = None) -> PriceListPublication:
    """ "Wyślij cennik": sign the payer's price list with the provider's certificate and hand it
    to the insurer. Audited with the number of services per group (seed 001 §11.3). The same
    list twice (a double click) is sent once."""
    now = now or clock.now()
    if not payer.is_active:
        raise SigningError(_("Współpraca z tym płatnikiem została zakończona."))
    certificate = active_certificate(payer.provider_id)
    if certificate is None:
        raise SigningError(_("Najpierw dodaj certyfikat do podpisu cenników."), field="password")
    if not certificate.not_before <= now <= certificate.not_after:
        raise SigningError(_("Certyfikat nie jest obecnie ważny – dodaj nowy."), field="password")
    insurer = Insurer.objects.get(pk=payer.insurer_ref)
    lines = pricelists.lines(payer)
    if not lines:
        raise SigningError(_("Cennik płatnika jest pusty – najpierw nadpisz do niego usługi."))
    try:
        root = build(payer.provider, insurer, payer, lines, now)
    except ValueError as exc:  # a character XML cannot hold (the forms refuse them; older data)
        raise SigningError(_("Nazwa lub kod usługi zawiera niedozwolone znaki – popraw je w słowniku usług.")) from exc
    document = sign(root, certificate, password)
    fingerprint = pricelists.fingerprint(lines)
    per_group: dict[str, int] = {}
    for line in lines:
        per_group[line.group_name or _("bez grupy")] = per_group.get(line.group_name or _("bez grupy"), 0) + 1
    with transaction.atomic():
        Payer.objects.select_for_update().filter(pk=payer.pk).first()
        last = PriceListPublication.objects.filter(payer=payer).first()
        if last is not None and last.fingerprint == fingerprint:
            raise SigningError(
                _("Ubezpieczyciel ma już ten cennik – od ostatniego wysłania nic się w nim nie zmieniło.")
            )
        made = PriceListPublication.objects.create(
            provider_id=payer.provider_id,
            insurer=insurer,
            payer=payer,
            created_at=now,
            created_by=actor,
            certificate=certificate,
            services_count=len(lines),
            fingerprint=fingerprint,
            document=document,
        )
        record_audit(
            provider_id=payer.provider_id,
            action="pricelist.published",
            target=made,
            summary=ngettext(
                "Wyeksportowano %(n)d usługę do %(insurer)s (%(groups)s).",
                "Wyeksportowano %(n)d usług do %(insurer)s (%(groups)s).",
                len(lines),
            )
            % {
                "n": len(lines),
                "insurer": insurer.name,
                "groups": ", ".join(f"{name}: {count}" for name, count in per_group.items()),
            },
            actor=actor,
            changes={"services": len(lines), "groups": per_group},
        )
    return made
