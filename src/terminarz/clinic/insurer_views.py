"""Ubezpieczenia in the back-office (G1, G2): the insurance-service terms, online registration
for insurers, the insurers' offers with the cooperation status, and one insurer's tabs –
Informacje, Regulaminy, Parametry, Dokumenty wymagane, Historia współpracy – as the seeds lay
them out. Thin: forms check input, `insurers.services` changes things."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.core.statemachine import TransitionRefused
from terminarz.insurers import ols, services
from terminarz.insurers.machines import COOPERATION
from terminarz.insurers.models import (
    Cooperation,
    CooperationDocument,
    CooperationStatus,
    InsuranceService,
    Insurer,
    InsurerTerms,
    LocationCode,
    OfferedPrice,
    ThematicService,
)
from terminarz.legal import services as legal
from terminarz.providers.models import Location

from .access import clinic_view

S = CooperationStatus
TABS = [
    ("informacje", _("Informacje")),
    ("regulaminy", _("Regulaminy")),
    ("parametry", _("Parametry")),
    ("dokumenty", _("Dokumenty wymagane")),
    ("lokalizacje", _("Identyfikatory lokalizacji")),
    ("tematyczne", _("Regulaminy tematyczne")),
    ("historia", _("Historia współpracy")),
]


class OnlineForm(forms.ModelForm):
    class Meta:
        model = InsuranceService
        fields = ["online_registration", "auto_enable_new"]


class ParametersForm(forms.Form):
    start_date = forms.DateField(
        label=_("Data rozpoczęcia współpracy"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={
            "required": _("Podaj datę rozpoczęcia współpracy."),
            "invalid": _("Podaj datę, np. 2026-12-01."),
        },
    )
    iban = forms.CharField(
        label=_("Numer konta bankowego"),
        max_length=40,
        help_text=_("Na to konto ubezpieczyciel przekaże należności za udzielone świadczenia."),
        error_messages={"required": _("Podaj numer konta bankowego.")},
    )
    contact_name = forms.CharField(label=_("Osoba do kontaktu"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("E-mail osoby do kontaktu"), required=False, max_length=254)
    contact_phone = forms.CharField(label=_("Telefon osoby do kontaktu"), max_length=30, required=False)


class DocumentForm(forms.Form):
    title = forms.ChoiceField(label=_("Dokument"))
    file = forms.FileField(
        label=_("Plik (PDF lub JPG, najwyżej 10 MB)"), error_messages={"required": _("Wybierz plik.")}
    )

    def __init__(self, *args, insurer: Insurer, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["title"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(t, t) for t in insurer.required_documents] or [("Inny dokument", _("Inny dokument"))]


def _error(request, exc: services.CooperationError) -> None:
    messages.error(request, exc.message)


@require_http_methods(["GET", "POST"])
@clinic_view("insurers.change")
def insurance(request):
    """The insurance service: verify the data, accept its terms; then the insurers' offers."""
    provider = request.provider
    service = services.insurance_service(provider.pk)
    terms = legal.in_force(services.SERVICE_TERMS_KIND, clock.now())
    online_form = OnlineForm(request.POST if request.POST.get("action") == "online" else None, instance=service)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "accept":
            if not request.POST.get("data_confirmed"):
                messages.error(request, gettext("Zaznacz „Potwierdzam poprawność danych”."))
            else:
                try:
                    services.accept_service_terms(
                        provider.pk, accepted=bool(request.POST.get("accept")), actor=request.user
                    )
                except services.CooperationError as exc:
                    _error(request, exc)
                else:
                    messages.success(
                        request, gettext("Regulamin został zaakceptowany – usługa Ubezpieczenia jest aktywna.")
                    )
            return redirect("clinic:insurance")
        if action == "online" and service.active:
            before = {"online_registration": service.online_registration, "auto_enable_new": service.auto_enable_new}
            if not online_form.is_valid():
                raise Http404
            online_form.save()
            record_audit(
                provider_id=provider.pk,
                action="insurance.online",
                target=service,
                summary=gettext("Rejestracja on-line dla Ubezpieczycieli: %(state)s")
                % {"state": gettext("włączona") if service.online_registration else gettext("wyłączona")},
                actor=request.user,
                changes={
                    name: {"before": before[name], "after": getattr(service, name)}
                    for name in before
                    if before[name] != getattr(service, name)
                },
            )
            messages.success(
                request,
                gettext(
                    "Usługa została włączona – będzie włączana także dla kolejnych Ubezpieczycieli w momencie "
                    "nawiązania z nimi współpracy."
                )
                if service.online_registration and service.auto_enable_new
                else gettext("Zapisano ustawienia Rejestracji on-line dla Ubezpieczycieli."),
            )
            return redirect("clinic:insurance")
    statuses = {c.insurer_id: c for c in Cooperation.objects.filter(provider=provider)}
    insurers = [
        (insurer, statuses.get(insurer.pk)) for insurer in Insurer.objects.filter(is_active=True).order_by("name")
    ]
    return render(
        request,
        "clinic/insurance.html",
        {
            "service": service,
            "terms": terms,
            "online_form": online_form,
            "insurers": insurers,
            "locations": Location.objects.filter(provider=provider).order_by("number"),
        },
    )


@require_http_methods(["GET", "POST"])
@clinic_view("insurers.change")
def insurer(request, slug: str, tab: str = "informacje"):
    """One insurer: the cooperation's steps, tab by tab."""
    if tab not in dict(TABS):
        raise Http404
    found = get_object_or_404(Insurer, slug=slug, is_active=True)
    # Reading the page writes nothing: the cooperation row is made by its first step.
    coop = Cooperation.objects.filter(provider=request.provider, insurer=found).first() or Cooperation(
        provider=request.provider, insurer=found, status=S.NONE
    )
    terms = services.terms_in_force(found, clock.now())
    parameters_form = ParametersForm(
        request.POST if request.POST.get("action") == "parameters" else None,
        initial={
            "start_date": coop.start_date,
            "iban": coop.iban,
            "contact_name": coop.contact_name,
            "contact_email": coop.contact_email,
            "contact_phone": coop.contact_phone,
        },
    )
    document_form = DocumentForm(
        request.POST if request.POST.get("action") == "document" else None,
        request.FILES if request.POST.get("action") == "document" else None,
        insurer=found,
    )
    price_errors: dict[int, str] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "start":
                if coop.pk is None:
                    coop = services.cooperation(request.provider.pk, found, actor=request.user)
                services.start(
                    coop,
                    terms_version=request.POST.get("terms_version", ""),
                    understood=bool(request.POST.get("understood")),
                    actor=request.user,
                )
                messages.success(
                    request, gettext("Regulamin zaakceptowany. Uzupełnij parametry i dokumenty, a potem wyślij ofertę.")
                )
                return redirect("clinic:insurer-tab", slug=slug, tab="parametry")
            if action == "parameters":
                if parameters_form.is_valid():
                    c = parameters_form.cleaned_data
                    services.save_parameters(coop, **c, actor=request.user)
                    messages.success(request, gettext("Zapisano parametry współpracy."))
                    return redirect("clinic:insurer-tab", slug=slug, tab="dokumenty")
            elif action == "document":
                if document_form.is_valid():
                    services.add_document(
                        coop,
                        title=document_form.cleaned_data["title"],
                        upload=document_form.cleaned_data["file"],
                        actor=request.user,
                    )
                    messages.success(request, gettext("Dodano dokument."))
                    return redirect("clinic:insurer-tab", slug=slug, tab="dokumenty")
            elif action == "code":
                try:
                    location_id = int(request.POST.get("location", ""))
                except ValueError:
                    raise Http404 from None
                services.enter_provider_code(
                    request.provider.pk, found, location_id, request.POST.get("code", ""), actor=request.user
                )
                messages.success(request, gettext("Zapisano kod lokalizacji."))
                return redirect("clinic:insurer-tab", slug=slug, tab="lokalizacje")
            elif action == "offer":
                services.send_offer(coop, actor=request.user)
                messages.success(request, gettext("Wysłano ofertę współpracy – rozpatruje ją ubezpieczyciel."))
                return redirect("clinic:insurer-tab", slug=slug, tab="informacje")
            elif action in ("thematic", "prices"):
                terms_doc = _thematic(found, request.POST.get("terms"))
                if action == "thematic":
                    ols.accept_thematic(
                        request.provider.pk, terms_doc, accepted=bool(request.POST.get("accept")), actor=request.user
                    )
                    messages.success(request, gettext("Zaakceptowano regulamin tematyczny – podaj ceny usług."))
                    return redirect("clinic:insurer-tab", slug=slug, tab="tematyczne")
                prices, price_errors = _prices(request.POST, terms_doc)
                if not price_errors:
                    ols.set_prices(request.provider.pk, terms_doc, prices, actor=request.user)
                    messages.success(request, gettext("Zapisano cennik usług."))
                    return redirect("clinic:insurer-tab", slug=slug, tab="tematyczne")
            elif action == "end":
                services.end(coop, confirmed=bool(request.POST.get("confirm")), actor=request.user)
                messages.success(request, gettext("Współpraca została zakończona."))
                return redirect("clinic:insurer-tab", slug=slug, tab="informacje")
            else:
                raise Http404
        except TransitionRefused as exc:  # a second tab, a double click, a colleague was faster
            messages.error(request, exc.message)
        except ols.OlsError as exc:
            messages.error(request, exc.message)
        except services.CooperationError as exc:
            target = {"parameters": parameters_form, "document": document_form}.get(action)
            if target is not None and exc.errors and next(iter(exc.errors)) in target.fields:
                target.add_error(next(iter(exc.errors)), exc.message)
            else:
                _error(request, exc)
        if coop.pk:
            coop.refresh_from_db()
    return render(
        request,
        "clinic/insurer.html",
        {
            "insurer": found,
            "coop": coop,
            "terms": terms,
            "tab": tab,
            "tabs": TABS,
            "parameters_form": parameters_form,
            "document_form": document_form,
            "documents": list(coop.documents.all()) if coop.pk else [],
            "missing": services.missing_for_offer(coop) if coop.status == S.TERMS_ACCEPTED else [],
            "history": [
                (t.at, COOPERATION.label(t.to_state), t.actor, t.reason)
                for t in COOPERATION.history(coop).select_related("actor")
            ],
            "editable": coop.status == S.TERMS_ACCEPTED,
            "location_codes": _location_codes(request.provider, found),
            "thematic": _thematic_items(request.provider, found, price_errors, request.POST)
            if tab == "tematyczne" or price_errors
            else [],
        },
        status=422 if parameters_form.errors or document_form.errors or price_errors else 200,
    )


def _thematic(insurer, raw) -> InsurerTerms:
    try:
        return InsurerTerms.objects.of(insurer).get(kind=InsurerTerms.Kind.THEMATIC, pk=int(raw or ""))
    except (InsurerTerms.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None


PRICE_FIELD = forms.DecimalField(max_digits=9, decimal_places=2, min_value=Decimal("0.01"), required=False)


def _prices(data, terms_doc) -> tuple[dict[int, Decimal | None], dict[int, str]]:
    """The typed prices of the thematic services, each checked like a form field."""
    prices: dict[int, Decimal | None] = {}
    errors: dict[int, str] = {}
    for service in ThematicService.objects.filter(terms=terms_doc):
        raw = (data.get(f"price_{service.pk}") or "").strip().replace(",", ".")
        try:
            prices[service.pk] = PRICE_FIELD.clean(raw)
        except forms.ValidationError as exc:
            errors[service.pk] = " ".join(exc.messages)
    return prices, errors


def _thematic_items(provider, insurer, errors, data) -> list[dict]:
    items = []
    offered = {
        p.service_id: p
        for p in OfferedPrice.objects.filter(provider=provider, service__terms__insurer_ref=insurer.pk).select_related(
            "service"
        )
    }
    for terms_doc in ols.thematic_terms(insurer, clock.now()):
        rows = []
        for service in terms_doc.services.all():
            price = offered.get(service.pk)
            rows.append(
                {
                    "service": service,
                    "price": price,
                    "value": data.get(f"price_{service.pk}") if errors else (price.price if price else ""),
                    "error": errors.get(service.pk, ""),
                }
            )
        items.append({"terms": terms_doc, "accepted": ols.accepted(provider.pk, terms_doc), "rows": rows})
    return items


def _location_codes(provider, insurer):
    codes = {c.location_id: c for c in LocationCode.objects.filter(provider=provider, insurer=insurer)}
    return [
        (location, codes.get(location.pk)) for location in Location.objects.filter(provider=provider).order_by("number")
    ]


@clinic_view("insurers.change")
def insurer_document(request, slug: str, document_id: int):
    """A document the provider attached, to its own staff only (files are not served otherwise)."""
    document = get_object_or_404(
        CooperationDocument.objects.select_related("cooperation"),
        pk=document_id,
        cooperation__provider=request.provider,
        cooperation__insurer__slug=slug,
    )
    record_audit(
        provider_id=request.provider.pk,
        action="insurance.document_downloaded",
        target=document.cooperation,
        summary=f"Pobranie dokumentu: {document.title}",
        actor=request.user,
        changes={"document": document.pk},
    )
    name = (document.file.name or "dokument").rsplit("/", 1)[-1]
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=name)
