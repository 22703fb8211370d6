"""An insurer's desk (`/ubezpieczyciel/`): the cooperation offers providers sent it (accept, or
reject with a reason), the location codes it gives them, its terms (a new version, general or
thematic) and the price lists providers signed and sent, read from the verified document.
Thin: every lookup takes the insurer (`insurers.desk`), every change is a service call."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.booking.errors import BookingError, SlotTaken
from terminarz.catalog.models import Payer, Specialization
from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.core.statemachine import TransitionRefused
from terminarz.factors.login import LoginWithFactor
from terminarz.insurers import desk, ols, payer_booking, services
from terminarz.insurers.machines import COOPERATION
from terminarz.insurers.models import (
    CooperationDocument,
    CooperationStatus,
    InsurerRole,
    InsurerTerms,
    LocationCode,
    Referral,
    ServiceArea,
    ThematicService,
)
from terminarz.providers.models import Location

from .access import ANY, desk_view

S = CooperationStatus
ADMIN = InsurerRole.ADMIN
CODE_STATUSES = (S.OFFER_SENT, S.ACTIVE)  # location codes are given while an offer stands


class LoginView(LoginWithFactor):
    template_name = "payerdesk/login.html"
    next_page = "payerdesk:home"


class LogoutView(auth_views.LogoutView):
    next_page = "payerdesk:login"


@desk_view(ANY)
def home(request):
    """Offers waiting for a decision first, then the other cooperations."""
    rows = sorted(
        desk.cooperations(request.insurer),
        key=lambda c: (c.status != S.OFFER_SENT, c.provider.name.lower()),
    )
    return render(request, "payerdesk/home.html", {"rows": rows, "is_admin": _is_admin(request), "section": "offers"})


def _is_admin(request) -> bool:
    return request.insurer_membership.role == ADMIN


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Akceptuj")), ("reject", _("Odrzuć"))])
    reason = forms.CharField(
        label=_("Uzasadnienie (wymagane przy odrzuceniu)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@require_http_methods(["GET", "POST"])
@desk_view(ANY)
def offer(request, cooperation_id: int):
    """One provider's offer: its data, parameters, documents, location codes and history; the
    insurer's administrator accepts or rejects it and gives location codes."""
    coop = desk.cooperation(request.insurer, cooperation_id)
    if coop is None:
        raise Http404
    form = DecisionForm(request.POST if request.POST.get("action") == "decide" else None)
    status = 200
    if request.method == "POST":
        if not _is_admin(request):
            raise Http404
        action = request.POST.get("action")
        try:
            if action == "decide" and form.is_valid():
                accept = form.cleaned_data["decision"] == "accept"
                services.decide(coop, accept=accept, reason=form.cleaned_data["reason"], actor=request.user)
                messages.success(
                    request,
                    (
                        gettext("Oferta zaakceptowana – współpraca z %(name)s jest aktywna.")
                        if accept
                        else gettext("Oferta odrzucona – placówka %(name)s zobaczy uzasadnienie.")
                    )
                    % {"name": coop.provider.name},
                )
                return redirect("payerdesk:offer", cooperation_id=coop.pk)
            if action == "code":
                if coop.status not in CODE_STATUSES:
                    raise Http404
                location = _location(coop, request.POST.get("location"))
                services.enter_operator_code(
                    coop.provider_id, request.insurer, location.pk, request.POST.get("code", ""), actor=request.user
                )
                messages.success(request, gettext("Zapisano kod lokalizacji %(name)s.") % {"name": location.name})
                return redirect("payerdesk:offer", cooperation_id=coop.pk)
            if action not in ("decide", "code"):
                raise Http404
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        except services.CooperationError as exc:
            if action == "decide" and exc.errors and next(iter(exc.errors)) in form.fields:
                form.add_error(next(iter(exc.errors)), exc.message)
            else:
                messages.error(request, exc.message)
        status = 422
        coop.refresh_from_db()
    codes = {c.location_id: c for c in LocationCode.objects.filter(provider=coop.provider, insurer=request.insurer)}
    return render(
        request,
        "payerdesk/offer.html",
        {
            "section": "offers",
            "coop": coop,
            "provider": coop.provider,
            "form": form,
            "is_admin": _is_admin(request),
            "codes_open": coop.status in CODE_STATUSES,
            "documents": list(coop.documents.all()),
            "locations": [
                (location, codes.get(location.pk))
                for location in Location.objects.filter(provider=coop.provider).order_by("number")
            ],
            "history": [
                (t.at, COOPERATION.label(t.to_state), t.reason) for t in COOPERATION.history(coop).order_by("at", "pk")
            ],
        },
        status=status,
    )


def _location(coop, raw) -> Location:
    try:
        return Location.objects.get(provider=coop.provider, pk=int(raw or ""))
    except (Location.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


@desk_view(ANY)
def offer_document(request, cooperation_id: int, document_id: int):
    """A document the provider attached to its offer – to this insurer's people only."""
    coop = desk.cooperation(request.insurer, cooperation_id)
    if coop is None:
        raise Http404
    try:
        document = CooperationDocument.objects.get(cooperation=coop, pk=int(document_id))
    except (CooperationDocument.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None
    record_audit(
        provider_id=coop.provider_id,
        action="insurance.document_downloaded",
        target=coop,
        summary=f"Pobranie dokumentu przez ubezpieczyciela {request.insurer.name}: {document.title}",
        actor=request.user,
        changes={"document": document.pk},
    )
    name = (document.file.name or "dokument").rsplit("/", 1)[-1]
    try:
        opened = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(opened, as_attachment=True, filename=name)


class TermsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Rodzaj"), choices=InsurerTerms.Kind.choices)
    area = forms.ChoiceField(
        label=_("Obszar usług (regulamin tematyczny)"),
        choices=[("", _("– dotyczy regulaminu tematycznego –")), *ServiceArea.choices],
        required=False,
    )
    title = forms.CharField(label=_("Tytuł"), max_length=200)
    version = forms.CharField(label=_("Wersja"), max_length=20, help_text=_("np. 2.0"))
    effective_from = forms.DateTimeField(
        label=_("Obowiązuje od"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("Podaj datę i godzinę, np. 2026-12-01 08:00.")},
    )
    body = forms.CharField(label=_("Treść"), widget=forms.Textarea(attrs={"rows": 10}), max_length=100_000)

    def clean(self):
        cleaned = super().clean() or {}
        thematic = cleaned.get("kind") == InsurerTerms.Kind.THEMATIC
        if thematic and not cleaned.get("area"):
            self.add_error("area", _("Wybierz obszar usług regulaminu tematycznego."))
        if not thematic:
            cleaned["area"] = ""
        return cleaned


@require_http_methods(["GET", "POST"])
@desk_view(ANY)
def terms(request):
    """The insurer's terms: every version, and a new one (administrator)."""
    form = TermsForm(
        request.POST or None,
        initial={"effective_from": timezone.localtime(clock.now()).replace(second=0, microsecond=0)},
    )
    if request.method == "POST":
        if not _is_admin(request):
            raise Http404
        if form.is_valid():
            c = form.cleaned_data
            try:
                made = desk.publish_terms(
                    request.insurer,
                    kind=c["kind"],
                    area=c["area"],
                    title=c["title"].strip(),
                    version=c["version"].strip(),
                    body=c["body"],
                    effective_from=c["effective_from"],
                    actor=request.user,
                )
            except desk.TermsError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    gettext("Opublikowano %(title)s, wersja %(version)s.")
                    % {"title": made.title, "version": made.version},
                )
                return redirect("payerdesk:terms")
    now = clock.now()
    versions = InsurerTerms.objects.of(request.insurer).order_by("kind", "title", "-effective_from")
    return render(
        request,
        "payerdesk/terms.html",
        {
            "section": "terms",
            "versions": [(t, t.effective_from <= now) for t in versions],
            "form": form,
            "is_admin": _is_admin(request),
        },
        status=422 if form.errors else 200,
    )


@desk_view(ANY)
def price_lists(request):
    """The price lists providers signed and sent to this insurer, newest first."""
    return render(
        request,
        "payerdesk/price_lists.html",
        {"publications": desk.price_lists(request.insurer)[:100], "section": "price-lists"},
    )


@desk_view(ANY)
def price_list(request, publication_id: int):
    publication = desk.price_list(request.insurer, publication_id)
    if publication is None:
        raise Http404
    return render(
        request, "payerdesk/price_list.html", {"received": desk.received(publication), "section": "price-lists"}
    )


@desk_view(ANY)
def price_list_document(request, publication_id: int):
    publication = desk.price_list(request.insurer, publication_id)
    if publication is None:
        raise Http404
    response = HttpResponse(publication.document, content_type="application/xml; charset=utf-8")
    stamp = timezone.localtime(publication.created_at).strftime("%Y%m%d%H%M")
    response["Content-Disposition"] = f'attachment; filename="cennik-{publication.provider_id}-{stamp}.xml"'
    return response


# -- booking for insured patients (G6, G7, G8 received) -------------------------------------------


class SearchForm(forms.Form):
    specialization = forms.ModelChoiceField(
        label=_("Specjalizacja"), queryset=Specialization.objects.none(), required=False, empty_label=_("dowolna")
    )
    city = forms.CharField(label=_("Miejscowość"), required=False, max_length=100)
    language = forms.CharField(label=_("Język lekarza"), required=False, max_length=50, help_text=_("np. angielski"))
    procedure = forms.CharField(
        label=_("Procedura"), required=False, max_length=100, help_text=_("nazwa lub kod usługi, którą wykonuje lekarz")
    )
    day = forms.DateField(
        label=_("Od dnia"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"invalid": _("Podaj datę, np. 2026-12-01.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["specialization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Specialization.objects.order_by("name")


SEARCH_LIMIT = 50


@desk_view(ANY)
def slots(request):
    """Free slots offered to this insurer, by specialization, city, language, procedure, date."""
    form = SearchForm(request.GET or None)
    found = []
    if form.is_valid():
        c = form.cleaned_data
        now = clock.now()
        qs = payer_booking.offered_slots(request.insurer, now)
        if c["specialization"]:
            qs = qs.filter(practitioner__specializations=c["specialization"])
        if c["city"]:
            qs = qs.filter(unit__location__city__iexact=c["city"].strip())
        if c["language"]:
            qs = qs.filter(practitioner__languages__icontains=c["language"].strip())
        if c["procedure"]:
            text = c["procedure"].strip()
            qs = qs.filter(
                Q(practitioner__procedures__name__icontains=text) | Q(practitioner__procedures__code__iexact=text)
            )
        if c["day"]:
            qs = qs.filter(day__gte=c["day"])
        found = list(
            qs.select_related("practitioner", "unit__location", "provider").order_by("start", "pk")[:SEARCH_LIMIT]
        )
    return render(
        request,
        "payerdesk/slots.html",
        {"form": form, "slots": found, "searched": form.is_bound, "limit": SEARCH_LIMIT, "section": "slots"},
        status=422 if form.errors else 200,
    )


class InsuredForm(forms.Form):
    first_name = forms.CharField(label=_("Imię"), max_length=100)
    last_name = forms.CharField(label=_("Nazwisko"), max_length=100)
    pesel = forms.CharField(label=_("PESEL"), max_length=11)
    phone = forms.CharField(label=_("Telefon"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail pacjenta"), max_length=254)
    service = forms.TypedChoiceField(label=_("Usługa"), coerce=int)
    discount = forms.IntegerField(
        label=_("Zniżka dla pacjenta (%)"),
        min_value=0,
        max_value=100,
        initial=0,
        help_text=_("Część ceny, którą pokrywa ubezpieczyciel: 100 – całość, 0 – płaci pacjent."),
    )
    referral_number = forms.CharField(label=_("Numer skierowania"), max_length=40, required=False)
    referral_issued_on = forms.DateField(
        label=_("Data wystawienia skierowania"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    referral_valid_until = forms.DateField(
        label=_("Data ważności skierowania"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    referral_description = forms.CharField(
        label=_("Opis skierowania"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("– wybierz –"))] + [(s.pk, f"{s.name} – {s.price} zł") for s in services]

    def clean(self):
        cleaned = super().clean() or {}
        referral = [
            cleaned.get("referral_number"),
            cleaned.get("referral_issued_on"),
            cleaned.get("referral_valid_until"),
        ]
        if any(referral) or cleaned.get("referral_description"):
            if not cleaned.get("referral_issued_on"):
                self.add_error("referral_issued_on", _("Podaj datę wystawienia skierowania."))
            if not cleaned.get("referral_valid_until"):
                self.add_error("referral_valid_until", _("Podaj datę ważności skierowania."))
        return cleaned

    def referral(self) -> payer_booking.ReferralData | None:
        c = self.cleaned_data
        if not c.get("referral_issued_on") or not c.get("referral_valid_until"):
            return None
        return payer_booking.ReferralData(
            number=c.get("referral_number", "").strip(),
            issued_on=c["referral_issued_on"],
            valid_until=c["referral_valid_until"],
            description=c.get("referral_description", "").strip(),
        )


@require_http_methods(["GET", "POST"])
@desk_view(ANY)
def book(request, slot_id: int):
    """Book an insured patient: the patient, a service of the price list, the discount and an
    optional referral; one booking per form (a second send gets the same visit)."""
    slot = payer_booking.offered_slots(request.insurer, clock.now()).filter(pk=slot_id).first()
    if slot is None:
        made = payer_booking.made_by_form(request.insurer, slot_id, request.POST.get("submission_key", ""))
        if request.method == "POST" and made is not None:  # the same form sent again: its visit
            return redirect("payerdesk:visit", booking_id=made.pk)
        raise Http404
    payer = Payer.objects.get(provider=slot.provider, insurer_ref=request.insurer.pk, is_active=True)
    services_ = payer_booking.price_list_services(payer, slot)
    form = InsuredForm(
        request.POST or None, services=services_, initial={"submission_key": uuid.uuid4().hex, "discount": 0}
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            appointment = payer_booking.book_for_insured(
                request.insurer,
                slot.pk,
                patient={
                    "first_name": c["first_name"],
                    "last_name": c["last_name"],
                    "pesel": c["pesel"],
                    "phone": c["phone"],
                    "email": c["email"],
                    "accept_requirements": True,
                },
                service_id=c["service"],
                discount=c["discount"],
                referral=form.referral(),
                actor=request.user,
                submission_key=c["submission_key"],
            )
        except SlotTaken:
            form.add_error(None, _("Ten termin został właśnie zajęty – wybierz inny."))
        except BookingError as exc:
            for name, problems in exc.errors.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
            if not exc.errors:
                form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                gettext("Umówiono wizytę %(ref)s: %(when)s, %(who)s.")
                % {
                    "ref": appointment.reference,
                    "when": clock.local_text(appointment.start),
                    "who": appointment.practitioner.full_name,
                },
            )
            return redirect("payerdesk:visit", booking_id=appointment.payer_booking.pk)
    return render(
        request,
        "payerdesk/book.html",
        {
            "slot": slot,
            "form": form,
            "section": "slots",
            "has_services": bool(services_),
            "patient_fields": [form[n] for n in ("first_name", "last_name", "pesel", "phone", "email")],
            "service_fields": [form[n] for n in ("service", "discount")],
            "referral_fields": [
                form[n]
                for n in ("referral_number", "referral_issued_on", "referral_valid_until", "referral_description")
            ],
        },
        status=422 if form.errors else 200,
    )


@desk_view(ANY)
def visits_list(request):
    """The visits this insurer booked, upcoming first."""
    rows = payer_booking.bookings(request.insurer).order_by("-appointment__start")[:200]
    return render(request, "payerdesk/visits.html", {"rows": rows, "section": "visits"})


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Powód odwołania"), max_length=300)


@require_http_methods(["GET", "POST"])
@desk_view(ANY)
def visit(request, booking_id: int):
    """One visit this insurer booked: its data, the referrals both ways, and "Odwołaj"."""
    found = payer_booking.booking_for(request.insurer, booking_id)
    if found is None:
        raise Http404
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payer_booking.cancel_by_insurer(found, reason=form.cleaned_data["reason"], actor=request.user)
        except BookingError as exc:
            form.add_error("reason", (exc.errors.get("reason") or [exc.message])[0])
        else:
            messages.success(request, gettext("Wizyta została odwołana – pacjent dostanie wiadomość."))
            return redirect("payerdesk:visit", booking_id=found.pk)
    appointment = found.appointment
    return render(
        request,
        "payerdesk/visit.html",
        {
            "found": found,
            "appointment": appointment,
            "referrals": Referral.objects.filter(appointment=appointment, insurer=request.insurer).select_related(
                "service"
            ),
            "form": form,
            "can_cancel": payer_booking.can_cancel(appointment, clock.now()),
            "section": "visits",
        },
        status=422 if form.errors else 200,
    )


# -- OLS (G9): limits of thematic terms, claims, settlements ------------------------------------


class LimitForm(forms.Form):
    code = forms.CharField(label=_("Kod"), max_length=30)
    name = forms.CharField(label=_("Nazwa usługi"), max_length=200)
    limit = forms.DecimalField(label=_("Limit ceny (zł)"), max_digits=9, decimal_places=2, min_value=Decimal("0.01"))


@require_http_methods(["GET", "POST"])
@desk_view(ANY)
def terms_limits(request, terms_id: int):
    """The services of a thematic terms document with their price limits."""
    found = InsurerTerms.objects.of(request.insurer).filter(kind=InsurerTerms.Kind.THEMATIC, pk=terms_id).first()
    if found is None:
        raise Http404
    form = LimitForm(request.POST or None)
    if request.method == "POST":
        if not _is_admin(request):
            raise Http404
        if form.is_valid():
            c = form.cleaned_data
            try:
                desk.add_limit(found, code=c["code"].strip(), name=c["name"].strip(), limit=c["limit"])
            except desk.TermsError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, gettext("Dodano usługę z limitem."))
                return redirect("payerdesk:terms-limits", terms_id=found.pk)
    return render(
        request,
        "payerdesk/terms_limits.html",
        {
            "terms": found,
            "services": ThematicService.objects.filter(terms=found).order_by("name"),
            "form": form,
            "is_admin": _is_admin(request),
            "section": "terms",
        },
        status=422 if form.errors else 200,
    )


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Akceptuj")), ("reject", _("Odrzuć"))])
    reason = forms.CharField(required=False, max_length=500)


@require_http_methods(["GET", "POST"])
@desk_view(ANY)
def claims(request):
    """Benefit claims providers filed with this insurer; the administrator decides."""
    if request.method == "POST":
        if not _is_admin(request):
            raise Http404
        claim = desk.claim(request.insurer, request.POST.get("claim"))
        form = ClaimDecisionForm(request.POST)
        if claim is None or not form.is_valid():
            raise Http404
        try:
            ols.decide_claim(
                claim,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ols.OlsError as exc:
            messages.error(request, exc.message)
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("Zapisano decyzję o wniosku %(number)s.") % {"number": claim.number})
        return redirect("payerdesk:claims")
    return render(
        request,
        "payerdesk/claims.html",
        {"rows": desk.claims(request.insurer)[:200], "is_admin": _is_admin(request), "section": "claims"},
    )


@require_http_methods(["GET", "POST"])
@desk_view(ANY)
def settlements(request):
    """Settlement reports providers made; the administrator marks one paid."""
    if request.method == "POST":
        if not _is_admin(request):
            raise Http404
        found = desk.settlement(request.insurer, request.POST.get("settlement"))
        if found is None:
            raise Http404
        try:
            ols.mark_paid(found, actor=request.user)
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, gettext("Rozliczenie %(number)s oznaczono jako zapłacone.") % {"number": found.number}
            )
        return redirect("payerdesk:settlements")
    return render(
        request,
        "payerdesk/settlements.html",
        {
            "rows": desk.settlements(request.insurer)[:100],
            "is_admin": _is_admin(request),
            "today": clock.local_today(),
            "section": "claims",
        },
    )
