"""The provider's cooperation with insurers (G1, G2), step by step as the seeds describe it:
accept the insurance-service terms; "Nawiąż współpracę" (the insurer's terms, "rozumiem i
zgadzam się z treścią regulaminu"); Parametry (start date, bank account, contact person);
Dokumenty wymagane (PDF/JPG); "Wyślij ofertę współpracy"; the insurer accepts or rejects
(with a reason); "Zakończ współpracę". Every status change goes through `machines.COOPERATION`
(recorded, audited); one transaction per action."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from localflavor.generic.validators import IBANValidator

from terminarz.core import clock, uploads
from terminarz.core.audit import record_audit
from terminarz.legal import services as legal

from . import payers
from .machines import COOPERATION
from .models import (
    Cooperation,
    CooperationDocument,
    CooperationStatus,
    InsuranceService,
    Insurer,
    InsurerTerms,
    LocationCode,
    LocationCodeStatus,
)

S = CooperationStatus
SERVICE_TERMS_KIND = "insurance"


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
        legal.accept_by_user(document, user=actor, channel="back-office", now=now, provider_id=provider_id)
        record_audit(
            provider_id=provider_id,
            action="insurance.terms_accepted",
            target=service,
            summary=f"Akceptacja regulaminu usługi Ubezpieczenia (wersja {document.version})",
            actor=actor if getattr(actor, "pk", None) else None,
            changes={"version": document.version},
            at=now,
        )
    return service


def terms_in_force(insurer: Insurer, now: dt.datetime) -> InsurerTerms | None:
    return (
        InsurerTerms.objects.of(insurer)
        .filter(kind=InsurerTerms.Kind.GENERAL, effective_from__lte=now)
        .order_by("-effective_from")
        .first()
    )


def cooperation(provider_id: int, insurer: Insurer, *, now: dt.datetime | None = None, actor=None) -> Cooperation:
    """The provider's cooperation with an insurer ("Brak współpracy" until it starts)."""
    found = Cooperation.objects.filter(provider_id=provider_id, insurer=insurer).first()
    if found is not None:
        return found
    with transaction.atomic():
        found, created = Cooperation.objects.get_or_create(
            provider_id=provider_id, insurer=insurer, defaults={"status": S.NONE}
        )
        if created:
            COOPERATION.created(found, now=now or clock.now(), actor=actor)
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
    coop: Cooperation,
    *,
    start_date,
    iban: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str,
    actor=None,
):
    """Parametry: from when, the bank account for the insurer's payments (IBAN checksum), who to
    contact. Only while the offer is being prepared."""
    if coop.status != S.TERMS_ACCEPTED:
        raise CooperationError(_("Parametry można zmieniać tylko przed wysłaniem oferty."))
    account = re.sub(r"[^0-9A-Za-z]", "", iban).upper()  # spaces, dashes: as people write it
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
    before = {"start_date": coop.start_date, "iban": coop.iban, "contact_name": coop.contact_name}
    with transaction.atomic():
        # Only while the offer is being prepared – also against a parallel "Wyślij ofertę".
        updated = Cooperation.objects.filter(pk=coop.pk, status=S.TERMS_ACCEPTED).update(
            start_date=start_date,
            iban=account,
            contact_name=contact_name.strip(),
            contact_email=contact_email.strip(),
            contact_phone=contact_phone.strip(),
        )
        if updated != 1:
            raise CooperationError(_("Parametry można zmieniać tylko przed wysłaniem oferty."))
        coop.refresh_from_db()
        after = {"start_date": coop.start_date, "iban": coop.iban, "contact_name": coop.contact_name}
        changed = {
            name: [_masked(name, before[name]), _masked(name, after[name])]
            for name in after
            if before[name] != after[name]
        }
        if changed:
            _audit(coop, "insurance.parameters", f"Parametry współpracy z {coop.insurer.name}", actor=actor, **changed)
    return coop


def _masked(name: str, value) -> str:
    text = "" if value is None else str(value)
    if name == "iban" and len(text) > 8:
        return f"{text[:4]}…{text[-4:]}"  # enough to tell accounts apart, not the number
    return text


def _audit(coop: Cooperation, action: str, summary: str, *, actor, **changes) -> None:
    record_audit(
        provider_id=coop.provider_id,
        action=action,
        target=coop,
        summary=summary,
        actor=actor if getattr(actor, "pk", None) else None,
        changes=changes,
    )


def add_document(coop: Cooperation, *, title: str, upload, actor, now=None) -> CooperationDocument:
    """Dokumenty wymagane: a PDF or JPG (by name and by content), at most 10 MB."""
    if coop.status != S.TERMS_ACCEPTED:
        raise CooperationError(_("Dokumenty można dodawać tylko przed wysłaniem oferty."))
    problem = uploads.document_problem(upload)
    if problem:
        raise CooperationError(problem, field="file")
    if not title.strip():
        raise CooperationError(_("Wybierz, jaki to dokument."), field="title")
    with transaction.atomic():
        locked = Cooperation.objects.select_for_update().select_related("insurer").get(pk=coop.pk)
        if locked.status != S.TERMS_ACCEPTED:  # the offer went meanwhile
            raise CooperationError(_("Dokumenty można dodawać tylko przed wysłaniem oferty."))
        document = CooperationDocument.objects.create(
            cooperation=locked,
            title=title.strip()[:200],
            file=upload,
            uploaded_at=now or clock.now(),
            uploaded_by=actor,
        )
        _audit(
            locked,
            "insurance.document_added",
            f"Dokument dla {locked.insurer.name}: {document.title}",
            actor=actor,
            document=document.pk,
        )
    return document


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
    with transaction.atomic():
        locked = Cooperation.objects.select_for_update().select_related("insurer").get(pk=coop.pk)
        if locked.status != S.TERMS_ACCEPTED:
            raise CooperationError(_("Ta oferta została już wysłana albo współpraca zmieniła status. Odśwież stronę."))
        missing = missing_for_offer(locked)
        if missing:
            raise CooperationError(_("Uzupełnij przed wysłaniem oferty: %(what)s.") % {"what": "; ".join(missing)})
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
            payers.import_payers(locked.provider_id, actor=actor, now=now)  # the insurer becomes a payer (G4)
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
        payers.import_payers(locked.provider_id, actor=actor, now=now)  # its payer is deactivated (G4)
    return locked


# -- location codes (G3) ------------------------------------------------------------------------

LC = LocationCodeStatus


def code_status(code: LocationCode) -> str:
    """ "Brak powiązania" until the provider entered a code; "Zaakceptowano" when it is the code
    the operator entered before it; otherwise "Kod nieznany" (a different code, or entered
    before the operator's – then the provider enters it again)."""
    if not code.provider_code:
        return LC.NONE
    if not code.operator_code or code.provider_code != code.operator_code:
        return LC.UNKNOWN
    if code.operator_at is None or code.provider_at is None or code.provider_at < code.operator_at:
        return LC.UNKNOWN
    return LC.ACCEPTED


def clean_code(value: str) -> str:
    if any(ch.isspace() for ch in value):
        raise CooperationError(_("Kod wprowadź bez spacji."), field="code")
    if len(value) > 40:
        raise CooperationError(_("Kod może mieć najwyżej 40 znaków."), field="code")
    return value


def _enter(provider_id: int, insurer: Insurer, location_id: int, *, side: str, value: str, actor, now=None):
    from terminarz.providers.models import Location

    from .machines import LOCATION_CODE

    now = now or clock.now()
    value = clean_code(value)
    location = Location.objects.filter(pk=location_id, provider_id=provider_id).first()
    if location is None:
        raise CooperationError(_("Nie ma takiej lokalizacji."), field="location")
    with transaction.atomic():
        code, created = LocationCode.objects.select_for_update().get_or_create(
            insurer=insurer, location=location, defaults={"provider_id": provider_id, "status": LC.NONE}
        )
        if created:
            LOCATION_CODE.created(code, now=now, actor=actor)
        fields = {f"{side}_code": value, f"{side}_at": now if value else None}
        before = getattr(code, f"{side}_code")
        LocationCode.objects.filter(pk=code.pk).update(**fields)
        if before != value:
            record_audit(
                provider_id=provider_id,
                action=f"location_code.{side}",
                target=code,
                summary=f"Kod lokalizacji {location.name} ({insurer.name}): "
                f"{'ubezpieczyciel/operator' if side == 'operator' else 'placówka'} {before or '–'} → {value or '–'}",
                actor=actor,
                changes={f"{side}_code": {"before": before, "after": value}},
            )
        for name, field_value in fields.items():
            setattr(code, name, field_value)
        new_status = code_status(code)
        if new_status != code.status:
            LOCATION_CODE.move(code, new_status, now=now, actor=actor, reason=f"kod: {side}")
    return code


def enter_provider_code(provider_id: int, insurer: Insurer, location_id: int, code: str, *, actor, now=None):
    """The provider types the code the insurer gave it (after accepting the insurer's terms)."""
    coop = Cooperation.objects.filter(provider_id=provider_id, insurer=insurer).first()
    if coop is None or coop.status == S.NONE:
        raise CooperationError(_("Identyfikatory lokalizacji wprowadza się po akceptacji regulaminu ubezpieczyciela."))
    return _enter(provider_id, insurer, location_id, side="provider", value=code.strip(), actor=actor, now=now)


def enter_operator_code(provider_id: int, insurer: Insurer, location_id: int, code: str, *, actor, now=None):
    """The operator loads the code the insurer supplied (it comes first)."""
    return _enter(provider_id, insurer, location_id, side="operator", value=code.strip(), actor=actor, now=now)
