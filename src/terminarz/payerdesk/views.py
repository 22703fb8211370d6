"""An insurer's desk (`/ubezpieczyciel/`): the cooperation offers providers sent it (accept, or
reject with a reason), the location codes it gives them, its terms (a new version, general or
thematic) and the price lists providers signed and sent, read from the verified document.
Thin: every lookup takes the insurer (`insurers.desk`), every change is a service call."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.core.statemachine import TransitionRefused
from terminarz.factors import policy
from terminarz.insurers import desk, services
from terminarz.insurers.machines import COOPERATION
from terminarz.insurers.models import (
    CooperationDocument,
    CooperationStatus,
    InsurerRole,
    InsurerTerms,
    LocationCode,
)
from terminarz.providers.models import Location

from .access import ANY, desk_view

S = CooperationStatus
ADMIN = InsurerRole.ADMIN


class LoginView(auth_views.LoginView):
    template_name = "payerdesk/login.html"
    redirect_authenticated_user = True
    next_page = "payerdesk:home"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.session.get(policy.PENDING_KEY):
            return redirect("clinic:2fa-verify")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        if policy.start_after_password(self.request, form.get_user(), self.get_success_url()):
            return redirect("clinic:2fa-verify")
        return response


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
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=name)


class TermsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Rodzaj"), choices=InsurerTerms.Kind.choices)
    title = forms.CharField(label=_("Tytuł"), max_length=200)
    version = forms.CharField(label=_("Wersja"), max_length=20, help_text=_("np. 2.0"))
    effective_from = forms.DateTimeField(
        label=_("Obowiązuje od"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("Podaj datę i godzinę, np. 2026-12-01 08:00.")},
    )
    body = forms.CharField(label=_("Treść"), widget=forms.Textarea(attrs={"rows": 10}), max_length=100_000)


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
    versions = InsurerTerms.objects.filter(insurer=request.insurer).order_by("kind", "title", "-effective_from")
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
