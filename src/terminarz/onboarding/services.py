"""A1, step by step as the seed describes it: "Uzyskaj dostęp" → find the own facility by NIP,
REGON or the RPWDL book number → "Wybierz" it, or "Wypełnij wniosek o przystąpienie" with the
data and the RPWDL extract → accept the terms → "Wyślij wniosek". The operator approves (the
provider, its main location and the admin's account are made; an e-mail carries the link
that sets the password, valid 48 hours, once) or rejects with a reason. Every status change
goes through `machines.APPLICATION`; one transaction per action."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from terminarz.core import clock, uploads
from terminarz.core.statemachine import TransitionRefused
from terminarz.legal import services as legal
from terminarz.notifications.registry import register_context
from terminarz.notifications.services import queue_email
from terminarz.providers import services as providers
from terminarz.providers.models import Provider

from .machines import APPLICATION
from .models import ApplicationStatus, PasswordLink, ProviderApplication, RegistryFacility

A = ApplicationStatus
TERMS_KIND = "provider"
LINK_VALID = dt.timedelta(hours=48)
DRAFT_KEPT = dt.timedelta(days=7)  # an abandoned draft (and its uploaded extract) is dropped after this
DATA_FIELDS = (
    "name",
    "nip",
    "regon",
    "rpwdl_book",
    "street",
    "postal_code",
    "city",
    "voivodeship",
    "phone",
    "first_name",
    "last_name",
    "email",
)
REGISTRY_FIELDS = ("name", "nip", "regon", "rpwdl_book")  # a chosen facility's identity, from the register
SUPPORT = "pomoc@terminarz.local, tel. 32 609 12 61 (pn.–pt. 8:00–16:00)"


class OnboardingError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.errors = {field: [message]}


# -- the registry -------------------------------------------------------------------------
def find_in_registry(*, nip: str = "", regon: str = "", rpwdl_book: str = "") -> list[RegistryFacility]:
    """Facilities with the one number given (already validated and compacted)."""
    if nip:
        query = Q(nip=nip)
    elif regon:
        query = Q(regon=regon)
    elif rpwdl_book:
        query = Q(rpwdl_book=rpwdl_book)
    else:
        return []
    return list(RegistryFacility.objects.filter(query).order_by("name")[:20])


def is_taken(*, nip: str = "", regon: str = "", rpwdl_book: str = "", facility: RegistryFacility | None = None) -> bool:
    """Whether the facility already has an account. The wizard then says only "contact
    support": who holds the account is never shown. An application that only waits does not
    block another one (the operator sees them side by side and approves at most one)."""
    if facility is not None:
        if facility.provider_id:
            return True
        nip, regon, rpwdl_book = nip or facility.nip, regon or facility.regon, rpwdl_book or facility.rpwdl_book
    numbers = Q()
    for field, value in (("nip", nip), ("regon", regon), ("rpwdl_book", rpwdl_book)):
        if value:
            numbers |= Q(**{field: value})
    if not numbers:
        return False
    if nip and Provider.objects.filter(nip=nip).exists():
        return True
    return RegistryFacility.objects.filter(numbers, provider__isnull=False).exists()


def same_facility(application: ProviderApplication):
    """The other applications for the same facility (NIP or RPWDL book), for the operator."""
    return (
        ProviderApplication.objects.filter(Q(nip=application.nip) | Q(rpwdl_book=application.rpwdl_book))
        .exclude(pk=application.pk)
        .exclude(status__in=(A.DRAFT, A.CANCELLED))
        .order_by("-submitted_at")
    )


# -- the applicant ------------------------------------------------------------------------
def save_draft(
    data: dict,
    *,
    facility: RegistryFacility | None,
    extract=None,
    application: ProviderApplication | None = None,
    now: dt.datetime | None = None,
) -> ProviderApplication:
    """ "Dalej" on the data step: a new draft, or the same draft corrected ("Wstecz"). The
    RPWDL extract (PDF or JPG, checked by content) is required in every case – it is what the
    operator checks the applicant against; a corrected draft keeps the file it had when none is
    sent again (a new one replaces it). A facility chosen from the register keeps the
    register's name and numbers whatever was sent."""
    now = now or clock.now()
    if facility is not None:
        data = {**data, **{name: getattr(facility, name) for name in REGISTRY_FIELDS}}
    if extract is not None:
        problem = uploads.document_problem(extract)
        if problem:
            raise OnboardingError(problem, field="extract")
    if is_taken(nip=data["nip"], regon=data["regon"], rpwdl_book=data["rpwdl_book"], facility=facility):
        raise OnboardingError(taken_message())
    with transaction.atomic():
        if application is None:
            application = ProviderApplication(status=A.DRAFT, created_at=now)
            created = True
        else:
            application = ProviderApplication.objects.select_for_update().get(pk=application.pk)
            created = False
            if application.status != A.DRAFT:
                raise OnboardingError(_("Ten wniosek został już wysłany albo anulowany."))
        for field in DATA_FIELDS:
            setattr(application, field, data[field])
        application.facility = facility
        replaced = application.extract.name if extract is not None and application.extract else ""
        if extract is not None:
            application.extract = extract
        if not application.extract:
            raise OnboardingError(_("Dołącz wypis z RPWDL (plik PDF lub JPG)."), field="extract")
        application.save()
        if replaced:
            storage = application.extract.storage
            transaction.on_commit(lambda: storage.delete(replaced))
        if created:
            APPLICATION.created(application, actor_label="applicant", now=now)
    return application


def taken_message() -> str:
    return _(
        "Ta placówka ma już konto w Terminarzu. Jeśli nie pamiętasz danych logowania, "
        "skontaktuj się z pomocą techniczną: %(support)s."
    ) % {"support": SUPPORT}


def submit(application: ProviderApplication, *, accepted: bool, now: dt.datetime | None = None) -> ProviderApplication:
    """ "Wyślij wniosek": the terms in force are accepted and the application goes to the
    operators. Sending again a sent application changes nothing (a repeated submit)."""
    now = now or clock.now()
    if not accepted:
        raise OnboardingError(_("Zaznacz „Akceptuję regulamin”, aby wysłać wniosek."), field="accept")
    terms = legal.in_force(TERMS_KIND, now)
    with transaction.atomic():
        locked = ProviderApplication.objects.select_for_update().get(pk=application.pk)
        if locked.status == A.SUBMITTED:
            return locked
        if locked.status != A.DRAFT:
            raise OnboardingError(_("Ten wniosek został już rozpatrzony albo anulowany."))
        if is_taken(nip=locked.nip, regon=locked.regon, rpwdl_book=locked.rpwdl_book, facility=locked.facility):
            raise OnboardingError(taken_message())
        APPLICATION.move(
            locked,
            A.SUBMITTED,
            actor_label="applicant",
            now=now,
            terms=terms,
            terms_accepted_at=now,
            submitted_at=now,
        )
        queue_email(
            provider=None,
            kind="onboarding_submitted",
            recipient=locked.email,
            template="onboarding/email/submitted",
            context={"application_id": locked.pk},
            idempotency_key=f"onboarding_submitted:{locked.pk}",
        )
    return locked


def confirm_email(application_id: int, token: str, *, now: dt.datetime | None = None) -> ProviderApplication:
    """The link in the "wniosek złożony" e-mail: the applicant controls the address the
    password link will go to. The operator approves only a confirmed application."""
    now = now or clock.now()
    with transaction.atomic():
        found = ProviderApplication.objects.select_for_update().filter(pk=application_id).first()
        if found is None or found.status == A.DRAFT or not found.email_token_matches(token):
            raise OnboardingError(_("Ten link jest nieprawidłowy."))
        if found.email_confirmed_at is None:
            found.email_confirmed_at = now
            found.save(update_fields=["email_confirmed_at"])
    return found


def cancel(application: ProviderApplication, *, now: dt.datetime | None = None) -> None:
    """ "Anuluj": a draft is dropped (its file with it)."""
    with transaction.atomic():
        locked = ProviderApplication.objects.select_for_update().get(pk=application.pk)
        APPLICATION.move(locked, A.CANCELLED, actor_label="applicant", now=now)
        if locked.extract:
            locked.extract.delete(save=False)
            ProviderApplication.objects.filter(pk=locked.pk).update(extract="")


def purge_stale_drafts(*, now: dt.datetime | None = None) -> int:
    """Drafts nobody sent within `DRAFT_KEPT` are cancelled and their files deleted, so
    abandoned uploads do not pile up."""
    now = now or clock.now()
    dropped = 0
    for draft in ProviderApplication.objects.filter(status=A.DRAFT, created_at__lt=now - DRAFT_KEPT):
        try:
            cancel(draft, now=now)
            dropped += 1
        except TransitionRefused:
            continue  # sent meanwhile
    return dropped


# -- the operator -------------------------------------------------------------------------
def approve(application: ProviderApplication, *, actor, now: dt.datetime | None = None) -> ProviderApplication:
    """The provider, its main location and the admin's account (no password yet) are made, the
    terms acceptance is recorded for the admin, and the password link goes out."""
    now = now or clock.now()
    User = get_user_model()
    with transaction.atomic():
        locked = ProviderApplication.objects.select_for_update().get(pk=application.pk)
        APPLICATION.check(locked.status, A.APPROVED)
        if locked.email_confirmed_at is None:
            raise OnboardingError(
                _("Wnioskodawca nie potwierdził jeszcze adresu e-mail (link w wiadomości o złożeniu wniosku).")
            )
        # The register's entry for this facility, locked: two approvals for one facility queue
        # here, and the second one finds the account the first one made.
        facility = (
            RegistryFacility.objects.select_for_update()
            .filter(
                Q(pk=locked.facility_id or 0) | Q(rpwdl_book=locked.rpwdl_book) | (Q(nip=locked.nip) & Q(rpwdl_book=""))
            )
            .order_by("pk")
            .first()
        )
        if Provider.objects.filter(nip=locked.nip).exists() or (facility is not None and facility.provider_id):
            raise OnboardingError(_("Ta placówka ma już konto w Terminarzu. Odrzuć wniosek z tym powodem."))
        email = locked.email.strip().lower()
        if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
            raise OnboardingError(
                _("Konto z adresem %(email)s już istnieje. Poproś wnioskodawcę o inny adres i odrzuć wniosek.")
                % {"email": email}
            )
        try:
            with transaction.atomic():  # a racing approval of the same NIP or e-mail loses here
                admin = User.objects.create_user(
                    email, email, None, first_name=locked.first_name, last_name=locked.last_name
                )
                provider = providers.open_provider(
                    name=locked.name,
                    nip=locked.nip,
                    regon=locked.regon,
                    email=email,
                    phone=locked.phone,
                    location={
                        "street": locked.street,
                        "postal_code": locked.postal_code,
                        "city": locked.city,
                        "voivodeship": locked.voivodeship,
                    },
                    admin=admin,
                )
        except IntegrityError as error:
            raise OnboardingError(_("Ta placówka ma już konto w Terminarzu. Odrzuć wniosek z tym powodem.")) from error
        facility = facility or RegistryFacility(imported_at=now)
        for field in ("name", "nip", "regon", "rpwdl_book", "street", "postal_code", "city", "voivodeship"):
            if not getattr(facility, field):
                setattr(facility, field, getattr(locked, field))
        facility.provider, facility.updated_at = provider, now
        facility.save()
        if locked.terms is not None:
            legal.accept_by_user(
                locked.terms,
                user=admin,
                channel="onboarding",
                now=locked.terms_accepted_at or now,
                provider_id=provider.pk,
            )
        APPLICATION.move(
            locked,
            A.APPROVED,
            actor=actor,
            now=now,
            decided_at=now,
            decided_by=actor,
            provider=provider,
            facility=facility,
        )
        _send_password_link(locked, admin, now)
    return locked


def reject(
    application: ProviderApplication, *, actor, reason: str, now: dt.datetime | None = None
) -> ProviderApplication:
    reason = " ".join(reason.split())
    if not reason:
        raise OnboardingError(_("Podaj powód odrzucenia – wnioskodawca go zobaczy."), field="reason")
    now = now or clock.now()
    with transaction.atomic():
        locked = ProviderApplication.objects.select_for_update().get(pk=application.pk)
        APPLICATION.move(locked, A.REJECTED, actor=actor, reason=reason, now=now, decided_at=now, decided_by=actor)
        locked.reason = reason[:500]
        locked.save(update_fields=["reason"])
        queue_email(
            provider=None,
            kind="onboarding_rejected",
            recipient=locked.email,
            template="onboarding/email/rejected",
            context={"application_id": locked.pk},
            idempotency_key=f"onboarding_rejected:{locked.pk}",
        )
    return locked


def resend_password_link(application: ProviderApplication, *, actor, now: dt.datetime | None = None) -> PasswordLink:
    """A new link for an approved application whose admin never set the password (the old
    ones stop working)."""
    now = now or clock.now()
    with transaction.atomic():
        locked = ProviderApplication.objects.select_for_update().get(pk=application.pk)
        links = PasswordLink.objects.select_for_update().filter(application=locked)
        if locked.status != A.APPROVED:
            raise OnboardingError(_("Link do ustawienia hasła wysyłamy tylko po akceptacji wniosku."))
        if links.filter(used_at__isnull=False).exists():
            raise OnboardingError(_("Hasło zostało już ustawione – link nie jest potrzebny."))
        first = links.order_by("created_at").first()
        if first is None:
            raise OnboardingError(_("Ten wniosek nie ma konta administratora."))
        links.filter(expires_at__gt=now).update(expires_at=now)
        return _send_password_link(locked, first.user, now)


def _send_password_link(application: ProviderApplication, user, now: dt.datetime) -> PasswordLink:
    link = PasswordLink.objects.create(user=user, application=application, created_at=now, expires_at=now + LINK_VALID)
    queue_email(
        provider=application.provider,
        kind="onboarding_approved",
        recipient=user.email,
        template="onboarding/email/approved",
        context={"link_id": link.pk},
        idempotency_key=f"onboarding_password:{link.pk}",
    )
    return link


def usable_link(link_id: int, token: str, *, now: dt.datetime | None = None) -> PasswordLink:
    """The link if it is the one e-mailed, unused and in time; else an error to show."""
    now = now or clock.now()
    link = PasswordLink.objects.select_related("user").filter(pk=link_id).first()
    if link is None or not link.token_matches(token):
        raise OnboardingError(_("Ten link jest nieprawidłowy."))
    if link.used_at is not None:
        raise OnboardingError(_("Ten link został już użyty. Zaloguj się ustawionym hasłem."))
    if link.expires_at <= now:
        raise OnboardingError(
            _("Ten link wygasł (był ważny 48 godzin). Poproś pomoc techniczną o nowy: %(support)s.")
            % {"support": SUPPORT}
        )
    return link


def set_password(link_id: int, token: str, password: str, *, now: dt.datetime | None = None):
    """The first password, through the link (once: the link is locked and marked used in the
    same transaction)."""
    now = now or clock.now()
    with transaction.atomic():
        link = usable_link(link_id, token, now=now)
        link = PasswordLink.objects.select_for_update().select_related("user").get(pk=link.pk)
        if link.used_at is not None:
            raise OnboardingError(_("Ten link został już użyty. Zaloguj się ustawionym hasłem."))
        try:
            validate_password(password, link.user)
        except ValidationError as error:
            raise OnboardingError(" ".join(error.messages), field="new_password1") from error
        link.user.set_password(password)
        link.user.save(update_fields=["password"])
        link.used_at = now
        link.save(update_fields=["used_at"])
    return link.user


# -- the e-mails --------------------------------------------------------------------------
@register_context("onboarding_submitted")
@register_context("onboarding_rejected")
def application_context(stored: dict) -> dict:
    application = ProviderApplication.objects.get(pk=stored["application_id"])
    return {"application": application, "support": SUPPORT}


@register_context("onboarding_approved")
def password_context(stored: dict) -> dict:
    link = PasswordLink.objects.select_related("user", "application").get(pk=stored["link_id"])
    return {"link": link, "application": link.application, "valid_hours": int(LINK_VALID.total_seconds() // 3600)}
