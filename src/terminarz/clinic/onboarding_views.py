"""A1: "Uzyskaj dostęp" – the wizard a facility without an account goes through, before anyone
there can sign in: find the facility in the register ("Wybierz"), or "Wypełnij wniosek o
przystąpienie"; the data (with the RPWDL extract when the facility is not in the register);
the terms ("Pobierz regulamin", "Akceptuję regulamin"); "Wyślij wniosek". The draft lives in
the database, its id in the session; the applicant follows the decision by a secret link.
When the operator approves, the e-mailed link sets the admin's password here."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from terminarz.core import clock
from terminarz.core.statemachine import TransitionRefused
from terminarz.legal import services as legal
from terminarz.onboarding import services
from terminarz.onboarding.models import ApplicationStatus, ProviderApplication, RegistryFacility
from terminarz.providers.voivodeships import VOIVODESHIP_CHOICES

from .polish_fields import NIPField, PostalCodeField, REGONField, book_number

SESSION_KEY = "onboarding_application"
FOUND_KEY = "onboarding_found"  # the facilities the last search found: the only ones "Wybierz" takes
A = ApplicationStatus


class SearchForm(forms.Form):
    nip = NIPField(label="NIP", required=False)
    regon = REGONField(label="REGON", required=False)
    rpwdl_book = forms.CharField(label=_("Numer księgi rejestrowej RPWDL"), required=False, max_length=20)

    def clean_rpwdl_book(self):
        value = self.cleaned_data["rpwdl_book"]
        return book_number(value) if value.strip() else ""

    def clean(self):
        data = super().clean() or {}
        given = [name for name in ("nip", "regon", "rpwdl_book") if data.get(name)]
        if not given and not self.errors:
            raise forms.ValidationError(gettext("Wpisz jeden z numerów: NIP, REGON albo numer księgi rejestrowej."))
        if len(given) > 1:
            raise forms.ValidationError(gettext("Wpisz tylko jeden numer – wyszukujemy po jednym."))
        return data


class ApplicationForm(forms.Form):
    name = forms.CharField(label=_("Nazwa podmiotu"), max_length=300)
    nip = NIPField(label="NIP")
    regon = REGONField(label="REGON")
    rpwdl_book = forms.CharField(label=_("Numer księgi rejestrowej RPWDL"), max_length=20)
    street = forms.CharField(label=_("Ulica i numer"), max_length=200)
    postal_code = PostalCodeField(label=_("Kod pocztowy"))
    city = forms.CharField(label=_("Miejscowość"), max_length=100)
    voivodeship = forms.ChoiceField(label=_("Województwo"), choices=[("", "—"), *VOIVODESHIP_CHOICES])
    phone = forms.CharField(label=_("Telefon placówki"), max_length=30)
    first_name = forms.CharField(label=_("Imię osoby zgłaszającej"), max_length=100)
    last_name = forms.CharField(label=_("Nazwisko osoby zgłaszającej"), max_length=100)
    email = forms.EmailField(
        label=_("E-mail osoby zgłaszającej"),
        help_text=_("Na ten adres wyślemy link do ustawienia hasła; będzie to też nazwa użytkownika."),
    )
    extract = forms.FileField(
        label=_("Wypis z RPWDL"),
        required=False,
        help_text=_(
            "Kopia wpisu z Rejestru Podmiotów Wykonujących Działalność Leczniczą: PDF lub JPG, najwyżej 10 MB."
        ),
    )

    def __init__(self, *args, facility: RegistryFacility | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if facility is not None:
            # Chosen from the register: its identity is the register's, not retyped.
            for name in services.REGISTRY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].initial = getattr(facility, name)

    def clean_rpwdl_book(self):
        return book_number(self.cleaned_data["rpwdl_book"])

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if len(re.sub(r"\D", "", value)) < 9:
            raise forms.ValidationError(gettext("Wpisz numer telefonu (co najmniej 9 cyfr)."))
        return value


class TermsForm(forms.Form):
    accept = forms.BooleanField(
        label=_(
            "Akceptuję regulamin: świadczeniodawca akceptuje treść Regulaminu Świadczeniodawcy "
            "i zobowiązuje się do jego przestrzegania."
        ),
        required=False,
    )


def _draft(request) -> ProviderApplication | None:
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    return ProviderApplication.objects.filter(pk=pk, status=A.DRAFT).select_related("facility").first()


def start(request):
    """The welcome page with "Uzyskaj dostęp"."""
    return render(request, "clinic/onboarding/start.html", {"step": 0})


@ratelimit(key="ip", rate="30/h", method="GET", block=True)
def search(request):
    form = SearchForm(request.GET or None)
    results: list[tuple[RegistryFacility, bool]] | None = None
    if form.is_bound and form.is_valid():
        found = services.find_in_registry(
            nip=form.cleaned_data["nip"] or "",
            regon=form.cleaned_data["regon"] or "",
            rpwdl_book=form.cleaned_data["rpwdl_book"],
        )
        results = [(facility, services.is_taken(facility=facility)) for facility in found]
        request.session[FOUND_KEY] = [facility.pk for facility, taken in results if not taken]
    return render(
        request,
        "clinic/onboarding/search.html",
        {"form": form, "results": results, "support": services.SUPPORT, "step": 1},
    )


@never_cache
@ratelimit(key="ip", rate="60/h", method=["GET", "POST"], block=True)
def data(request):
    draft = _draft(request)
    # "?podmiot=<id>": chosen in the register (only one the last search found: the register is
    # not read id by id); "?podmiot=": a new facility; neither (back from the terms step): the
    # draft's. A sent form says which in its hidden field.
    source = request.POST if request.method == "POST" else request.GET
    facility_id = source.get("podmiot")
    facility = None
    if facility_id:
        found = request.session.get(FOUND_KEY) or []
        if draft is not None and draft.facility_id:
            found = [*found, draft.facility_id]
        if not (facility_id.isascii() and facility_id.isdigit()) or int(facility_id) not in found:
            raise Http404
        facility = get_object_or_404(RegistryFacility, pk=int(facility_id))
    elif facility_id is None and draft is not None:
        facility = draft.facility
    if facility is not None and services.is_taken(facility=facility):
        messages.error(request, services.taken_message())
        return redirect("clinic:onboarding-search")
    if draft is not None and draft.facility_id != (facility.pk if facility else None):
        draft = None if request.method == "GET" else draft  # another facility chosen: a fresh form
    initial = {}
    if draft is not None:
        initial = {name: getattr(draft, name) for name in services.DATA_FIELDS}
    elif facility is not None:
        initial = {name: getattr(facility, name) for name in ("street", "postal_code", "city", "voivodeship")}
    if facility is not None:  # the register's identity, whatever an earlier draft said
        initial.update({name: getattr(facility, name) for name in services.REGISTRY_FIELDS})
    bound = request.method == "POST"
    form = ApplicationForm(
        request.POST if bound else None, request.FILES if bound else None, facility=facility, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.DATA_FIELDS}
        try:
            application = services.save_draft(
                values, facility=facility, extract=form.cleaned_data.get("extract"), application=draft
            )
        except services.OnboardingError as error:
            field = next(iter(error.errors))
            form.add_error(None if field == "__all__" else field, error.message)
        else:
            request.session[SESSION_KEY] = application.pk
            return redirect("clinic:onboarding-terms")
    groups = [
        (title, [form[name] for name in names])
        for title, names in (
            (gettext("Podmiot"), ("name", "nip", "regon", "rpwdl_book", "phone")),
            (gettext("Adres"), ("street", "postal_code", "city", "voivodeship")),
            (gettext("Osoba zgłaszająca"), ("first_name", "last_name", "email")),
            (gettext("Wypis z RPWDL"), ("extract",)),
        )
    ]
    return render(
        request,
        "clinic/onboarding/data.html",
        {"form": form, "groups": groups, "facility": facility, "draft": draft, "step": 2},
    )


@never_cache
def terms(request):
    draft = _draft(request)
    if draft is None:
        sent = ProviderApplication.objects.filter(pk=request.session.get(SESSION_KEY) or 0, status=A.SUBMITTED).first()
        if sent is not None:  # sent already (a repeated "Wyślij wniosek"): its status
            return redirect("clinic:onboarding-status", application_id=sent.pk, token=sent.token)
        messages.error(request, gettext("Najpierw wypełnij dane podmiotu."))
        return redirect("clinic:onboarding-search")
    document = legal.in_force(services.TERMS_KIND, clock.now())
    form = TermsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.submit(draft, accepted=form.cleaned_data["accept"])
        except services.OnboardingError as error:
            form.add_error("accept" if "accept" in error.errors else None, error.message)
        else:
            return redirect("clinic:onboarding-status", application_id=sent.pk, token=sent.token)
    return render(
        request,
        "clinic/onboarding/terms.html",
        {"form": form, "application": draft, "document": document, "step": 3},
    )


def terms_pdf(request):
    """ "Pobierz regulamin": the provider terms in force."""
    document = legal.in_force(services.TERMS_KIND, clock.now())
    response = HttpResponse(legal.as_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="regulamin-swiadczeniodawcy-{document.version}.pdf"'
    return response


@require_POST
def cancel(request):
    """ "Anuluj": the draft is dropped; the wizard starts again."""
    draft = _draft(request)
    if draft is not None:
        try:
            services.cancel(draft)
        except TransitionRefused:
            pass  # sent meanwhile (another tab): nothing to drop
    request.session.pop(SESSION_KEY, None)
    messages.success(request, gettext("Wniosek anulowano. Wpisane dane usunęliśmy."))
    return redirect("clinic:onboarding-start")


@never_cache
def status(request, application_id: int, token: str):
    application = ProviderApplication.objects.filter(pk=application_id).exclude(status=A.DRAFT).first()
    if application is None or not application.token_matches(token):
        raise Http404
    return render(request, "clinic/onboarding/status.html", {"application": application, "support": services.SUPPORT})


@never_cache
def confirm_email(request, application_id: int, token: str):
    """The link from the "wniosek złożony" e-mail."""
    try:
        application = services.confirm_email(application_id, token)
    except services.OnboardingError:
        raise Http404 from None
    messages.success(request, gettext("Adres e-mail potwierdzony. Wniosek czeka na weryfikację przez operatora."))
    return redirect("clinic:onboarding-status", application_id=application.pk, token=application.token)


@never_cache
def set_password(request, link_id: int, token: str):
    """The link from the approval e-mail: the admin's first password (48 hours, once)."""
    try:
        link = services.usable_link(link_id, token)
    except services.OnboardingError as error:
        return render(request, "clinic/onboarding/password.html", {"problem": error.message}, status=410)
    form = SetPasswordForm(link.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.set_password(link_id, token, form.cleaned_data["new_password1"])
        except services.OnboardingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                gettext("Hasło ustawione. Zaloguj się – nazwa użytkownika: %(username)s.")
                % {"username": user.get_username()},
            )
            return redirect(reverse("clinic:login"))
    return render(request, "clinic/onboarding/password.html", {"form": form, "link": link})
