"""The terms in force and recording their acceptance (A3)."""

import datetime as dt
from zoneinfo import ZoneInfo

from . import builtin
from .models import TermsAcceptance, TermsDocument

WARSAW = ZoneInfo("Europe/Warsaw")


def in_force(kind: str, now: dt.datetime) -> TermsDocument:
    """The newest version in force; the platform terms the product ships with are stored the
    first time they are needed (a fresh database has them without a data migration)."""
    document = TermsDocument.objects.filter(kind=kind, effective_from__lte=now).order_by("-effective_from").first()
    shipped = builtin.BUILTIN.get(kind)
    if document is None and shipped is not None:
        document, _ = TermsDocument.objects.get_or_create(
            kind=kind,
            version=shipped.version,
            defaults={"title": shipped.title, "body": shipped.body, "effective_from": builtin.EFFECTIVE_FROM},
        )
    if document is None:
        raise LookupError(f"no {kind} terms in force")
    return document


def accept_for_booking(document: TermsDocument, *, reference: str, user, channel: str, now: dt.datetime):
    """Record that the patient of booking `reference` accepted `document` (once per booking:
    a repeated submit of the same booking records nothing new)."""
    acceptance, _ = TermsAcceptance.objects.get_or_create(
        document=document,
        booking_reference=reference,
        defaults={
            "user": user if user is not None and user.is_authenticated else None,
            "channel": channel,
            "accepted_at": now,
        },
    )
    return acceptance


def as_pdf(document: TermsDocument) -> bytes:
    """ "Pobierz regulamin": the version as an A4 PDF, its title, version and date of effect on top."""
    from terminarz.core.pdf import FONT_FAMILY, a4

    pdf = a4(title=f"{document.title} {document.version}", author="Terminarz")
    pdf.set_font(FONT_FAMILY, "B", 16)
    pdf.multi_cell(0, 8, document.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 10)
    effective = document.effective_from.astimezone(WARSAW).strftime("%d.%m.%Y")
    pdf.multi_cell(0, 6, f"Wersja {document.version}, obowiązuje od {effective}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for paragraph in document.body.split("\n"):
        if paragraph.startswith("§"):
            pdf.ln(2)
            pdf.set_font(FONT_FAMILY, "B", 11)
        else:
            pdf.set_font(FONT_FAMILY, "", 10)
        pdf.multi_cell(0, 5.5, paragraph.strip(), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def accept_by_user(document: TermsDocument, *, user, channel: str, now: dt.datetime) -> TermsAcceptance:
    """Record that a signed-in person (a provider's admin) accepted `document`; once per version."""
    found = TermsAcceptance.objects.filter(document=document, user=user, booking_reference="").first()
    return found or TermsAcceptance.objects.create(document=document, user=user, channel=channel, accepted_at=now)
