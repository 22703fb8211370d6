"""Patient panel (E5): shared documents, prescription requests, RODO requests."""

import mimetypes

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from terminarz.accounts.household import acting_account
from terminarz.core.statemachine import TransitionRefused
from terminarz.providers.models import Provider
from terminarz.records import services
from terminarz.records.models import PrescriptionRequest, RodoRequest, SharedDocument

from .account_views import patient_view

# The documents page shows these; issued prescriptions are on the prescriptions page.
PANEL_KINDS = [(k, label) for k, label in SharedDocument.Kind.choices if k != SharedDocument.Kind.PRESCRIPTION]


class DocumentSearchForm(forms.Form):
    q = forms.CharField(label=_("Szukaj w dokumentach"), max_length=100, required=False)
    kind = forms.ChoiceField(
        label=_("Rodzaj"),
        required=False,
        choices=[("", _("wszystkie")), *((k, str(label).capitalize()) for k, label in PANEL_KINDS)],
    )


@patient_view
def documents(request):
    """E5 "Wyszukiwanie, wyświetlanie i pobieranie dokumentów": vaccinations done and planned,
    referrals, recommendations of finished visits (with the visit), documents; searched by
    words of the title or text and by kind."""
    account = acting_account(request)
    form = DocumentSearchForm(request.GET or None)
    docs = (
        SharedDocument.objects.filter(patient_id__in=services.record_ids(account))
        .exclude(kind=SharedDocument.Kind.PRESCRIPTION)
        .select_related("provider", "appointment__practitioner")
    )
    searched = form.is_bound and form.is_valid() and any(form.cleaned_data.values())
    if searched:
        text, kind = form.cleaned_data["q"].strip(), form.cleaned_data["kind"]
        if text:
            docs = docs.filter(Q(title__icontains=text) | Q(text__icontains=text))
        if kind:
            docs = docs.filter(kind=kind)
    grouped: dict[str, list[SharedDocument]] = {kind: [] for kind, _label in PANEL_KINDS}
    for doc in docs:
        grouped[doc.kind].append(doc)
    sections = []
    for kind, label in PANEL_KINDS:
        if kind == SharedDocument.Kind.VACCINATION:
            sections.append((_("szczepienia wykonane"), [d for d in grouped[kind] if not d.planned]))
            sections.append((_("szczepienia zaplanowane"), [d for d in grouped[kind] if d.planned]))
        else:
            sections.append((label, grouped[kind]))
    if searched:
        sections = [(label, found) for label, found in sections if found]
    return render(
        request,
        "records/documents.html",
        {"sections": sections, "form": form, "searched": searched},
        status=200 if not form.errors else 422,
    )


@patient_view
def document_file(request, document_id: int):
    account = acting_account(request)
    doc = SharedDocument.objects.filter(pk=document_id, patient_id__in=services.record_ids(account)).first()
    if doc is None or not doc.file:
        raise Http404
    content_type = mimetypes.guess_type(doc.file.name or "")[0] or "application/octet-stream"
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, as_attachment=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PrescriptionForm(forms.Form):
    visit = forms.TypedChoiceField(label=_("Lekarz"), coerce=int, error_messages={"required": _("Wybierz lekarza.")})
    medicines = forms.CharField(
        label=_("Leki (nazwa, dawka, opakowanie)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Wpisz leki, o które prosisz.")},
    )
    note = forms.CharField(
        label=_("Informacja dla lekarza"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, visits, **kwargs):
        super().__init__(*args, **kwargs)
        seen: dict = {}
        for visit in visits:
            seen.setdefault(visit.practitioner_id, visit)
        self.visits = {v.pk: v for v in seen.values()}
        self.fields["visit"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (v.pk, f"{v.practitioner.full_name} ({v.provider.name})") for v in seen.values()
        ]


@require_http_methods(["GET", "POST"])
@patient_view
def prescriptions(request):
    account = acting_account(request)
    visits = list(services.seen_visits(account))
    form = PrescriptionForm(request.POST or None, visits=visits)
    if request.method == "POST" and form.is_valid():
        services.request_prescription(
            account,
            form.visits[form.cleaned_data["visit"]],
            medicines=form.cleaned_data["medicines"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, gettext("Wysłaliśmy prośbę o receptę. Status zobaczysz poniżej."))
        return redirect("account-prescriptions")
    mine = PrescriptionRequest.objects.filter(account=account).select_related("practitioner", "provider")
    # E5 "recept zamówionych i wystawionych": the requests, and the prescriptions issued (an
    # answered request, or one the provider shared from the record).
    issued = SharedDocument.objects.filter(
        patient_id__in=services.record_ids(account), kind=SharedDocument.Kind.PRESCRIPTION
    ).select_related("provider")
    return render(
        request,
        "records/prescriptions.html",
        {
            "form": form,
            "requests": [r for r in mine if r.status != PrescriptionRequest.Status.ISSUED],
            "issued_requests": [r for r in mine if r.status == PrescriptionRequest.Status.ISSUED],
            "issued": issued,
            "can_ask": bool(visits),
        },
        status=422 if form.errors else 200,
    )


class RodoForm(forms.Form):
    provider = forms.TypedChoiceField(
        label=_("Placówka"), coerce=int, error_messages={"required": _("Wybierz placówkę.")}
    )
    kind = forms.ChoiceField(label=_("Rodzaj wniosku"), choices=RodoRequest.Kind.choices)
    text = forms.CharField(
        label=_("Treść wniosku"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Opisz, czego dotyczy wniosek.")},
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "—")] + [(p.pk, p.name) for p in providers]  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
@patient_view
def rodo_requests(request):
    account = acting_account(request)
    providers = list(Provider.objects.filter(pk__in=services.provider_ids(account)).order_by("name"))
    form = RodoForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        services.submit_rodo_request(account, provider_id=c["provider"], kind=c["kind"], text=c["text"])
        messages.success(request, gettext("Wniosek został złożony. Placówka ma 30 dni na odpowiedź."))
        return redirect("account-rodo")
    mine = RodoRequest.objects.filter(account=account).select_related("provider")
    return render(
        request,
        "records/rodo.html",
        {"form": form, "requests": mine, "can_ask": bool(providers)},
        status=422 if form.errors else 200,
    )


@require_POST
@patient_view
def rodo_withdraw(request, request_id: int):
    account = acting_account(request)
    item: RodoRequest = get_object_or_404(RodoRequest.objects.filter(account=account), pk=request_id)
    try:
        services.withdraw_rodo_request(item, account=account)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
        return redirect("account-rodo")
    messages.success(request, gettext("Wniosek został wycofany."))
    return redirect("account-rodo")
