"""The platform operator's desk (`/operator/`): the queue of provider applications (approve,
or reject with a reason), the register of facilities (search, CSV import with a report) and
the providers on the platform. Thin: every change is a service call in `onboarding`."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Min, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from terminarz.core import clock
from terminarz.core.statemachine import TransitionRefused
from terminarz.factors.login import LoginWithFactor
from terminarz.legal import services as legal
from terminarz.legal.models import PLATFORM_KIND_CHOICES, PLATFORM_KINDS, TermsDocument
from terminarz.onboarding import changes, registry, services, support, suspension
from terminarz.onboarding.machines import APPLICATION
from terminarz.onboarding.models import (
    ApplicationStatus,
    ChangeRequest,
    ChangeStatus,
    PasswordLink,
    ProviderApplication,
    RegistryFacility,
    SupportSession,
)
from terminarz.providers.models import Location, LocationStatus, Provider
from terminarz.subscriptions import services as subscriptions
from terminarz.subscriptions.models import Subscription

from .access import operator_view

A = ApplicationStatus
REGISTRY_MAX_BYTES = 5 * 1024 * 1024


class LoginView(LoginWithFactor):
    template_name = "operatordesk/login.html"
    next_page = "operatordesk:home"


class LogoutView(auth_views.LogoutView):
    next_page = "operatordesk:login"


@operator_view
def home(request):
    """The queues: what waits for the operator, the oldest first."""
    waiting = ProviderApplication.objects.filter(status=A.SUBMITTED).aggregate(
        count=Count("pk"), oldest=Min("submitted_at")
    )
    return render(
        request,
        "operatordesk/home.html",
        {
            "applications": waiting,
            "changes": ChangeRequest.unscoped.filter(status=ChangeStatus.PENDING).aggregate(
                count=Count("pk"), oldest=Min("created_at")
            ),
            "locations": Location.unscoped.filter(status=LocationStatus.PENDING).aggregate(
                count=Count("pk"), oldest=Min("requested_at")
            ),
            "registry_count": RegistryFacility.objects.count(),
            "provider_count": Provider.objects.count(),
            "section": "home",
        },
    )


@operator_view
def applications(request):
    status = request.GET.get("status", A.SUBMITTED)
    if status not in A.values and status != "all":
        status = A.SUBMITTED
    query = request.GET.get("q", "").strip()
    rows = ProviderApplication.objects.exclude(status=A.DRAFT).select_related("facility")
    if status != "all":
        rows = rows.filter(status=status)
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(nip=query) | Q(regon=query) | Q(city__icontains=query))
    # Waiting ones oldest first (the queue); decided ones newest first.
    rows = rows.order_by("submitted_at", "pk") if status == A.SUBMITTED else rows.order_by("-submitted_at", "-pk")
    page = Paginator(rows, 50).get_page(request.GET.get("strona"))
    return render(
        request,
        "operatordesk/applications.html",
        {
            "page": page,
            "status": status,
            "query": query,
            "statuses": [(value, label) for value, label in A.choices if value != A.DRAFT],
            "now": clock.now(),
            "section": "applications",
        },
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Powód odrzucenia"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Wnioskodawca zobaczy go w e-mailu i na stronie wniosku."),
    )


def _application(application_id: int) -> ProviderApplication:
    return get_object_or_404(
        ProviderApplication.objects.exclude(status=A.DRAFT).select_related(
            "facility", "provider", "terms", "decided_by"
        ),
        pk=application_id,
    )


@operator_view
def application(request, application_id: int):
    found = _application(application_id)
    reject_form = RejectForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                services.approve(found, actor=request.user)
                messages.success(
                    request,
                    gettext(
                        "Wniosek zaakceptowano. Konto placówki założono, link do ustawienia hasła wysłano na %(email)s."
                    )
                    % {"email": found.email},
                )
                return redirect("operatordesk:application", application_id=found.pk)
            if action == "reject":
                reject_form = RejectForm(request.POST)
                if reject_form.is_valid():
                    services.reject(found, actor=request.user, reason=reject_form.cleaned_data["reason"])
                    messages.success(request, gettext("Wniosek odrzucono. Wnioskodawca dostanie e-mail z powodem."))
                    return redirect("operatordesk:application", application_id=found.pk)
            if action == "resend":
                sent = services.resend_password_link(found, actor=request.user)
                messages.success(
                    request, gettext("Wysłano nowy link do ustawienia hasła na %(email)s.") % {"email": sent.user.email}
                )
                return redirect("operatordesk:application", application_id=found.pk)
        except (services.OnboardingError, TransitionRefused) as error:
            messages.error(request, error.message)
            found = _application(application_id)
    link = PasswordLink.objects.filter(application=found).order_by("-created_at").first()
    history = list(APPLICATION.history(found).select_related("actor"))
    for transition in history:
        transition.to_state_label = APPLICATION.label(transition.to_state)  # type: ignore[attr-defined]
    return render(
        request,
        "operatordesk/application.html",
        {
            "application": found,
            "reject_form": reject_form,
            "history": history,
            "link": link,
            "now": clock.now(),
            "can_decide": APPLICATION.can(found, A.APPROVED),
            "others": services.same_facility(found),
            "section": "applications",
        },
    )


@operator_view
def application_extract(request, application_id: int):
    found = _application(application_id)
    if not found.extract:
        raise Http404
    response = FileResponse(
        found.extract.open("rb"), as_attachment=True, filename=str(found.extract.name).rsplit("/", 1)[-1]
    )
    response["Cache-Control"] = "no-store"
    return response


class RegistryImportForm(forms.Form):
    file = forms.FileField(label=_("Plik CSV z rejestru"), help_text=_("UTF-8, separator „;” lub „,”, najwyżej 5 MB."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(gettext("Wybierz plik CSV."))
        if upload.size > REGISTRY_MAX_BYTES:
            raise forms.ValidationError(gettext("Plik może mieć najwyżej 5 MB."))
        return upload


@operator_view
def registry_page(request):
    report = None
    form = RegistryImportForm()
    if request.method == "POST":
        form = RegistryImportForm(request.POST, request.FILES)
        if form.is_valid():
            report = registry.import_csv(form.cleaned_data["file"].read())
            if report.error:
                form.add_error("file", report.error)
                report = None
    query = request.GET.get("q", "").strip()
    rows = RegistryFacility.objects.select_related("provider")
    if query:
        rows = rows.filter(
            Q(name__icontains=query) | Q(nip=query) | Q(regon=query) | Q(rpwdl_book=query) | Q(city__icontains=query)
        )
    page = Paginator(rows.order_by("name", "pk"), 50).get_page(request.GET.get("strona"))
    return render(
        request,
        "operatordesk/registry.html",
        {
            "form": form,
            "report": report,
            "page": page,
            "query": query,
            "columns": registry.COLUMNS,
            "section": "registry",
        },
    )


@operator_view
def providers_page(request):
    """The providers on the platform with their status and schedules published online;
    "Zawieś" (with a reason the provider sees) and "Przywróć"."""
    if request.method == "POST":
        provider = get_object_or_404(Provider, pk=_posted_id(request, "provider"))
        action = request.POST.get("action")
        try:
            if action == "suspend":
                suspension.suspend(provider, reason=request.POST.get("reason", ""), actor=request.user)
                messages.success(request, gettext("Zawieszono placówkę %(name)s.") % {"name": provider.name})
            elif action == "reactivate":
                suspension.reactivate(provider, actor=request.user)
                messages.success(request, gettext("Przywrócono placówkę %(name)s.") % {"name": provider.name})
            elif action == "grant":
                quantity = request.POST.get("quantity", "")
                if not (quantity.isascii() and quantity.isdigit()):
                    raise subscriptions.SubscriptionError(gettext("„Ilość” to liczba terminarzy od 1 do 500."))
                subscriptions.grant(provider, quantity=int(quantity), actor=request.user)
                messages.success(
                    request, gettext("Włączono abonament 12-miesięczny dla %(name)s.") % {"name": provider.name}
                )
            else:
                raise Http404
        except (services.OnboardingError, subscriptions.SubscriptionError) as error:
            messages.error(request, error.message)
        return redirect(request.get_full_path())
    query = request.GET.get("q", "").strip()
    published = Count("schedules", filter=Q(schedules__is_published_online=True), distinct=True)
    rows = Provider.objects.annotate(published=published)
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(nip=query))
    page = Paginator(rows.order_by("name", "pk"), 50).get_page(request.GET.get("strona"))
    current = {
        s.provider_id: s for s in Subscription.unscoped.filter(provider__in=list(page.object_list), status="active")
    }
    for provider in page.object_list:
        provider.subscription = current.get(provider.pk)  # type: ignore[attr-defined]
    return render(request, "operatordesk/providers.html", {"page": page, "query": query, "section": "providers"})


@operator_view
def change_requests(request):
    """A2: the providers' data changes and approved locations' new addresses, oldest first."""
    if request.method == "POST":
        change = get_object_or_404(ChangeRequest.unscoped, pk=_posted_id(request, "change"))
        _decide(
            request,
            lambda reason, accept: (
                changes.approve(change, actor=request.user)
                if accept
                else changes.reject(change, actor=request.user, reason=reason)
            ),
        )
        return redirect("operatordesk:changes")
    rows = ChangeRequest.unscoped.filter(status=ChangeStatus.PENDING).select_related("provider", "location")
    return render(
        request,
        "operatordesk/changes.html",
        {
            "rows": [(change, changes.diff(change)) for change in rows.order_by("created_at", "pk")],
            "now": clock.now(),
            "section": "changes",
        },
    )


@operator_view
def pending_locations(request):
    """A5: locations the providers added, waiting for approval, oldest first."""
    if request.method == "POST":
        location = get_object_or_404(Location.unscoped, pk=_posted_id(request, "location"))
        _decide(
            request,
            lambda reason, accept: changes.decide_location(
                location, accept=accept, actor=request.user, reason=reason, seen=request.POST.get("seen", "")
            ),
        )
        return redirect("operatordesk:locations")
    rows = Location.unscoped.filter(status=LocationStatus.PENDING).select_related("provider")
    return render(
        request,
        "operatordesk/locations.html",
        {"rows": rows.order_by("requested_at", "pk"), "now": clock.now(), "section": "locations"},
    )


def _posted_id(request, name: str) -> int:
    value = request.POST.get(name, "")
    if not (value.isascii() and value.isdigit()):
        raise Http404
    return int(value)


def _decide(request, decide) -> None:
    """One decision from a queue row: "accept" or "reject" with the reason typed in the row."""
    if request.POST.get("decision") not in ("accept", "reject"):
        raise Http404
    accept = request.POST.get("decision") == "accept"
    try:
        decide(request.POST.get("reason", ""), accept)
    except (services.OnboardingError, TransitionRefused) as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("Zatwierdzono. Placówka dostanie e-mail.")
            if accept
            else gettext("Odrzucono. Placówka dostanie e-mail z powodem."),
        )


class PublishTermsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Regulamin"), choices=PLATFORM_KIND_CHOICES)
    version = forms.RegexField(
        label=_("Wersja"),
        max_length=20,
        regex=r"^[0-9A-Za-z._-]{1,20}$",
        error_messages={"invalid": _("Wersja: cyfry, litery, kropki, myślniki (np. 2.0).")},
    )
    title = forms.CharField(label=_("Tytuł"), max_length=200)
    effective_from = forms.DateField(
        label=_("Obowiązuje od"), widget=forms.DateInput(attrs={"type": "date"}), help_text=_("Od północy tego dnia.")
    )
    body = forms.CharField(label=_("Treść"), widget=forms.Textarea(attrs={"rows": 10}))

    def clean(self):
        data = super().clean() or {}
        if data.get("effective_from") and data["effective_from"] < clock.local_today():
            self.add_error("effective_from", gettext("Nowa wersja może obowiązywać od dziś lub później."))
        if (
            data.get("kind")
            and TermsDocument.objects.filter(
                kind=data["kind"], insurer_ref__isnull=True, version=data.get("version")
            ).exists()
        ):
            self.add_error("version", gettext("Ta wersja tego regulaminu już istnieje."))
        return data


@operator_view
def terms_page(request):
    """A3: each kind's versions with their date of effect and how many providers accepted them;
    a new version published with its date (providers see it ahead and must accept it from then)."""
    now = clock.now()
    form = PublishTermsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        effective = dt.datetime.combine(data["effective_from"], dt.time(0, 0), tzinfo=clock.WARSAW)
        try:
            document = legal.publish(
                kind=data["kind"],
                version=data["version"],
                title=data["title"],
                body=data["body"],
                effective_from=max(effective, now),
                actor=request.user,
                now=now,
            )
        except IntegrityError:  # the same version published a moment ago
            messages.error(request, gettext("Ta wersja tego regulaminu już istnieje."))
            return redirect("operatordesk:terms")
        messages.success(
            request,
            gettext("Opublikowano %(title)s, wersja %(version)s.")
            % {"title": document.title, "version": document.version},
        )
        return redirect("operatordesk:terms")
    providers = Provider.objects.filter(is_active=True).count()
    kinds = []
    for kind, label in PLATFORM_KIND_CHOICES:
        legal.in_force(kind, now)  # the shipped version is stored on first use
        counts = legal.acceptance_counts(kind)
        current = legal.in_force(kind, now)
        versions = [
            {"document": document, "accepted": counts.get(document.pk, 0), "current": document.pk == current.pk}
            for document in TermsDocument.objects.filter(kind=kind, insurer_ref__isnull=True).order_by(
                "-effective_from"
            )
        ]
        kinds.append({"kind": kind, "label": label, "versions": versions})
    return render(
        request,
        "operatordesk/terms.html",
        {"kinds": kinds, "providers": providers, "form": form, "now": now, "section": "terms"},
    )


@operator_view
def terms_pdf(request, document_id: int):
    document = get_object_or_404(TermsDocument, pk=document_id, kind__in=PLATFORM_KINDS)
    response = HttpResponse(legal.as_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="regulamin-{document.kind}-{document.pk}.pdf"'
    return response


@operator_view
def support_sessions(request):
    """The sessions providers opened for the support, open ones first."""
    now = clock.now()
    rows = SupportSession.unscoped.select_related("provider").order_by("-granted_at")[:100]
    return render(
        request,
        "operatordesk/support.html",
        {"rows": [(s, s.is_open(now)) for s in rows], "section": "support"},
    )


@operator_view
def support_patients(request, session_id: int):
    """Inside an open session only: the provider's patients, searched; each search audited in
    the provider's log."""
    try:
        session = support.open_session(session_id)
    except services.OnboardingError as error:
        messages.error(request, error.message)
        return redirect("operatordesk:support")
    query = request.GET.get("q", "").strip()
    found = support.search(session, query, operator=request.user) if query else None
    response = render(
        request,
        "operatordesk/support_patients.html",
        {"session": session, "query": query, "found": found, "section": "support"},
    )
    response["Cache-Control"] = "no-store"
    return response
