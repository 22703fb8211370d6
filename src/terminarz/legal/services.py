"""The terms in force and recording their acceptance (A3)."""

import datetime as dt

from . import builtin
from .models import TermsAcceptance, TermsDocument


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
