"""The terms in force and recording their acceptance (A3)."""

import datetime as dt
from zoneinfo import ZoneInfo

from . import builtin
from .models import PLATFORM_KINDS, TermsAcceptance, TermsDocument

WARSAW = ZoneInfo("Europe/Warsaw")


def in_force(kind: str, now: dt.datetime) -> TermsDocument:
    """The newest version in force; the platform terms the product ships with are stored the
    first time they are needed (a fresh database has them without a data migration)."""
    document = (
        TermsDocument.objects.filter(kind=kind, insurer_ref__isnull=True, effective_from__lte=now)
        .order_by("-effective_from")
        .first()
    )
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


def accept_by_user(
    document: TermsDocument, *, user, channel: str, now: dt.datetime, provider_id: int | None = None
) -> TermsAcceptance:
    """Record that a signed-in person accepted `document` – for a provider, when they act as its
    admin (once per version and provider), else for themselves (once per version)."""
    if provider_id is not None:
        acceptance, _created = TermsAcceptance.objects.get_or_create(
            document=document, provider_ref=provider_id, defaults={"user": user, "channel": channel, "accepted_at": now}
        )
        return acceptance
    found = TermsAcceptance.objects.filter(
        document=document, user=user, booking_reference="", provider_ref__isnull=True
    ).first()
    return found or TermsAcceptance.objects.create(document=document, user=user, channel=channel, accepted_at=now)


# -- A3: the provider's acceptances, versions the operator publishes ----------------------
PROVIDER_KINDS = ("provider", "insurance", "televisit", "branded_app")


def accepted_by_provider(document: TermsDocument, provider_id: int) -> TermsAcceptance | None:
    return TermsAcceptance.objects.filter(document=document, provider_ref=provider_id).select_related("user").first()


def provider_accepts(provider_id: int, *, kind: str, user, now: dt.datetime, version: str = "") -> TermsAcceptance:
    """ "Akceptuję regulamin" → "Akceptuj" by the provider's admin: the version in force, or a
    published later one (`version`) accepted ahead of its date. Once per version and provider."""
    document = in_force(kind, now)
    if version and version != document.version:
        document = TermsDocument.objects.get(
            kind=kind, insurer_ref__isnull=True, version=version, effective_from__gt=now
        )
    return accept_by_user(document, user=user, channel="back-office", now=now, provider_id=provider_id)


def provider_pending(provider_id: int, kind: str, now: dt.datetime) -> TermsDocument | None:
    """The version in force when this provider has not accepted it (the features it governs
    wait for the acceptance), else None."""
    document = in_force(kind, now)
    accepted = TermsAcceptance.objects.filter(document=document, provider_ref=provider_id).exists()
    return None if accepted else document


def upcoming(kind: str, now: dt.datetime) -> TermsDocument | None:
    """A version published with a later date of effect (announced before it binds)."""
    return (
        TermsDocument.objects.filter(kind=kind, insurer_ref__isnull=True, effective_from__gt=now)
        .order_by("effective_from")
        .first()
    )


def publish(
    *, kind: str, version: str, title: str, body: str, effective_from: dt.datetime, actor, now: dt.datetime
) -> TermsDocument:
    """A new version from the operator; it binds from `effective_from` (not in the past)."""
    if kind not in PLATFORM_KINDS:
        raise ValueError(f"{kind} terms are not the operator's to publish")
    if effective_from < now - dt.timedelta(minutes=1):
        raise ValueError("effective_from in the past")
    return TermsDocument.objects.create(
        kind=kind, version=version, title=title, body=body, effective_from=effective_from, published_by=actor
    )


def acceptance_counts(kind: str) -> dict[int, int]:
    """Document id → how many providers accepted that version."""
    from django.db.models import Count

    rows = (
        TermsAcceptance.objects.filter(document__kind=kind, provider_ref__isnull=False)
        .values("document_id")
        .annotate(n=Count("provider_ref", distinct=True))
    )
    return {row["document_id"]: row["n"] for row in rows}
