"""The provider's cooperation with insurers (G1, G2), step by step as the seeds describe it:
accept the insurance-service terms; "Nawiąż współpracę" (the insurer's terms, "rozumiem i
zgadzam się z treścią regulaminu"); Parametry (start date, bank account, contact person);
Dokumenty wymagane (PDF/JPG); "Wyślij ofertę współpracy"; the insurer accepts or rejects
(with a reason); "Zakończ współpracę". Every status change goes through `machines.COOPERATION`
(recorded, audited); one transaction per action."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from localflavor.generic.validators import IBANValidator

from terminarz.core import clock
from terminarz.legal import services as legal

from .machines import COOPERATION
from .models import (
    DOCUMENT_MAX_BYTES,
    Cooperation,
    CooperationDocument,
    CooperationStatus,
    InsuranceService,
    Insurer,
    InsurerTerms,
)

S = CooperationStatus
SERVICE_TERMS_KIND = "insurance"
DOCUMENT_SIGNATURES = {"pdf": (b"%PDF-",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",)}


class CooperationError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.errors = {field: [message]}


def insurance_service(provider_id: int) -> InsuranceService:
    found, _created = InsuranceService.objects.get_or_create(provider_id=provider_id)
    return found


def accept_service_terms(
    provider_id: int, *, accepted: bool, actor, now: dt.datetime | None = None
) -> InsuranceService:
    """G1: "Akceptuję regulamin" – the insurance service becomes active."""
    now = now or clock.now()
    if not accepted:
        raise CooperationError(_("Zaznacz „Akceptuję regulamin”, aby włączyć usługę Ubezpieczenia."), field="accept")
    document = legal.in_force(SERVICE_TERMS_KIND, now)
    with transaction.atomic():
        service = insurance_service(provider_id)
        InsuranceService.objects.filter(pk=service.pk).update(
            terms=document, terms_accepted_at=now, terms_accepted_by=actor
        )
        service.refresh_from_db()
    return service


def terms_in_force(insurer: Insurer, now: dt.datetime) -> InsurerTerms | None:
    return (
        InsurerTerms.objects.filter(insurer=insurer, kind=InsurerTerms.Kind.GENERAL, effective_from__lte=now)
        .order_by("-effective_from")
        .first()
    )


def cooperation(provider_id: int, insurer: Insurer, *, now: dt.datetime | None = None) -> Cooperation:
    """The provider's cooperation with an insurer ("Brak współpracy" until it starts)."""
    found = Cooperation.objects.filter(provider_id=provider_id, insurer=insurer).first()
    if found is not None:
        return found
    with transaction.atomic():
        found, created = Cooperation.objects.get_or_create(
            provider_id=provider_id, insurer=insurer, defaults={"status": S.NONE}
        )
        if created:
            COOPERATION.created(found, now=now or clock.now(), actor_label="system")
    return found


def start(coop: Cooperation, *, terms_version: str, understood: bool, actor, now=None) -> Cooperation:
    """ "Nawiąż współpracę" / "Przystąp": the insurer's terms in force, understood and accepted."""
    now = now or clock.now()
    if not insurance_service(coop.provider_id).active:
        raise CooperationError(
            _("Najpierw zaakceptuj regulamin usługi Ubezpieczenia – dopiero wtedy można nawiązać współpracę.")
        )
    terms = terms_in_force(coop.insurer, now)
    if terms is None:
        raise CooperationError(_("Ten ubezpieczyciel nie opublikował jeszcze regulaminu."))
    if terms.version != terms_version:
        raise CooperationError(_("Regulamin ubezpieczyciela zmienił się – przeczytaj nową wersję."), field="terms")
    if not understood:
        raise CooperationError(_("Zaznacz „rozumiem i zgadzam się z treścią regulaminu”."), field="understood")
    with transaction.atomic():
        locked = Cooperation.objects.select_for_update().get(pk=coop.pk)
        COOPERATION.move(
            locked,
            S.TERMS_ACCEPTED,
            now=now,
            actor=actor,
            terms=terms,
            terms_accepted_at=now,
            terms_accepted_by=actor,
            decision_reason="",
        )
    return locked


def save_parameters(
    coop: Cooperation, *, start_date, iban: str, contact_name: str, contact_email: str, contact_phone: str
):
    """Parametry: from when, the bank account for the insurer's payments (IBAN checksum), who to
    contact. Only while the offer is being prepared."""
    if coop.status != S.TERMS_ACCEPTED:
        raise CooperationError(_("Parametry można zmieniać tylko przed wysłaniem oferty."))
    account = "".join(iban.split()).upper()
    if account and account[:2].isdigit():
        account = "PL" + account  # a Polish account number written without the country code
    try:
        IBANValidator()(account)
    except ValidationError:
        raise CooperationError(
            _("Nieprawidłowy numer konta – sprawdź cyfry (błędna suma kontrolna)."), field="iban"
        ) from None
    if not contact_name.strip():
        raise CooperationError(_("Podaj osobę do kontaktu."), field="contact_name")
    if not (contact_email.strip() or contact_phone.strip()):
        raise CooperationError(_("Podaj e-mail lub telefon osoby do kontaktu."), field="contact_email")
    Cooperation.objects.filter(pk=coop.pk).update(
        start_date=start_date,
        iban=account,
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
        contact_phone=contact_phone.strip(),
    )
    coop.refresh_from_db()
    return coop


def add_document(coop: Cooperation, *, title: str, upload, actor, now=None) -> CooperationDocument:
    """Dokumenty wymagane: a PDF or JPG (by name and by content), at most 10 MB."""
    if coop.status != S.TERMS_ACCEPTED:
        raise CooperationError(_("Dokumenty można dodawać tylko przed wysłaniem oferty."))
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in DOCUMENT_SIGNATURES:
        raise CooperationError(_("Dodaj plik PDF lub JPG."), field="file")
    if upload.size > DOCUMENT_MAX_BYTES:
        raise CooperationError(_("Plik może mieć najwyżej 10 MB."), field="file")
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(DOCUMENT_SIGNATURES[extension]):
        raise CooperationError(_("Plik nie jest dokumentem PDF ani obrazem JPG."), field="file")
    if not title.strip():
        raise CooperationError(_("Wybierz, jaki to dokument."), field="title")
    return CooperationDocument.objects.create(
        cooperation=coop, title=title.strip()[:200], file=upload, uploaded_at=now or clock.now(), uploaded_by=actor
    )


def missing_for_offer(coop: Cooperation) -> list[str]:
    """What the offer still lacks (shown before "Wyślij ofertę współpracy")."""
    missing = []
    if not coop.parameters_complete:
        missing.append(_("parametry współpracy (data rozpoczęcia, konto, osoba do kontaktu)"))
    attached = set(coop.documents.values_list("title", flat=True))
    missing += [title for title in coop.insurer.required_documents if title not in attached]
    return missing


def send_offer(coop: Cooperation, *, actor, now=None) -> Cooperation:
    now = now or clock.now()
    missing = missing_for_offer(coop)
    if missing:
        raise CooperationError(_("Uzupełnij przed wysłaniem oferty: %(what)s.") % {"what": "; ".join(missing)})
    with transaction.atomic():
        locked = Cooperation.objects.select_for_update().get(pk=coop.pk)
        COOPERATION.move(locked, S.OFFER_SENT, now=now, actor=actor)
    return locked


def decide(coop: Cooperation, *, accept: bool, reason: str, actor, now=None) -> Cooperation:
    """The insurer's answer to the offer; a rejection says why."""
    now = now or clock.now()
    reason = reason.strip()
    if not accept and not reason:
        raise CooperationError(_("Podaj powód odrzucenia oferty."), field="reason")
    with transaction.atomic():
        locked = Cooperation.objects.select_for_update().get(pk=coop.pk)
        if accept:
            service = insurance_service(locked.provider_id)
            COOPERATION.move(
                locked,
                S.ACTIVE,
                now=now,
                actor=actor,
                reason=reason,
                decision_reason=reason[:500],
                online_registration=service.online_registration and service.auto_enable_new,
            )
        else:
            COOPERATION.move(locked, S.REJECTED, now=now, actor=actor, reason=reason, decision_reason=reason[:500])
    return locked


def end(coop: Cooperation, *, confirmed: bool, actor, now=None) -> Cooperation:
    """ "Zakończ współpracę", after a confirmation."""
    if not confirmed:
        raise CooperationError(_("Potwierdź zakończenie współpracy."), field="confirm")
    with transaction.atomic():
        locked = Cooperation.objects.select_for_update().get(pk=coop.pk)
        COOPERATION.move(locked, S.ENDED, now=now or clock.now(), actor=actor, online_registration=False)
    return locked
