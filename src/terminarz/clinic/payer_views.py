"""Usługi prywatne > Płatnicy (G4, G5; seed 001 §11): the provider's payers ("Pacjent", "NFZ" and
the insurers it cooperates with, "Pobierz płatników"), a payer's price list by group with the
tabs "Usługi nienadpisane" / "Usługi nadpisane", its XLSX export, the signing certificate and
"Wyślij cennik" (signed XML to the insurer). Thin: `catalog.pricelists` and
`insurers.payers` / `insurers.pricelists` change things."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from terminarz.catalog import pricelists as catalog_pricelists
from terminarz.catalog.models import Payer, PayerService, Service, ServiceGroup
from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.insurers import payers as insurer_payers
from terminarz.insurers import pricelists
from terminarz.insurers.models import PriceListPublication

from .access import clinic_view, get_for_provider
from .bookings import _safe

TABS = [("nienadpisane", _("Usługi nienadpisane")), ("nadpisane", _("Usługi nadpisane"))]
NO_GROUP = 0


class CertificateForm(forms.Form):
    file = forms.FileField(
        label=_("Plik certyfikatu (.p12 lub .pfx)"), error_messages={"required": _("Wybierz plik certyfikatu.")}
    )
    password = forms.CharField(
        label=_("Hasło do pliku certyfikatu"),
        widget=forms.PasswordInput,
        max_length=200,
        error_messages={"required": _("Podaj hasło do pliku certyfikatu.")},
    )


class SignForm(forms.Form):
    password = forms.CharField(
        label=_("Hasło do certyfikatu"),
        widget=forms.PasswordInput,
        max_length=200,
        error_messages={"required": _("Podaj hasło do certyfikatu, aby podpisać cennik.")},
    )


def _payer(request, payer_id: int) -> Payer:
    return get_for_provider(Payer.objects.all(), request.provider, payer_id)


@require_GET
@clinic_view("payers.change")
def payer_list(request):
    """The payers with the state of each insurer's price list."""
    payers = list(Payer.objects.filter(provider=request.provider).order_by("-is_active", "name"))
    rows = [(payer, pricelists.status(payer) if payer.is_active else None) for payer in payers]
    return render(
        request,
        "clinic/payers.html",
        {
            "rows": rows,
            "certificate": pricelists.active_certificate(request.provider.pk),
            "certificate_form": CertificateForm(),
            "can_sign": request.membership.has_permission("insurers.change"),
        },
    )


@require_POST
@clinic_view("payers.change")
def payer_import(request):
    """ "Pobierz płatników": the insurers the provider actively cooperates with."""
    result = insurer_payers.import_payers(request.provider.pk, actor=request.user)
    messages.success(request, result.summary)
    return redirect("clinic:payers")


@sensitive_post_parameters("password")
@require_POST
@clinic_view("insurers.change")
def certificate_upload(request):
    form = CertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            made = pricelists.upload_certificate(
                request.provider.pk,
                upload=form.cleaned_data["file"],
                password=form.cleaned_data["password"],
                actor=request.user,
            )
        except pricelists.SigningError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, gettext("Dodano certyfikat: %(subject)s.") % {"subject": made.subject})
            return redirect("clinic:payers")
    payers = list(Payer.objects.filter(provider=request.provider).order_by("-is_active", "name"))
    return render(
        request,
        "clinic/payers.html",
        {
            "rows": [(p, pricelists.status(p) if p.is_active else None) for p in payers],
            "certificate": pricelists.active_certificate(request.provider.pk),
            "certificate_form": form,
            "can_sign": True,
        },
        status=422,
    )


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@clinic_view("payers.change")
def payer_detail(request, payer_id: int):
    """A payer's price list by group ("Widok cenników płatnika"), its state and "Wyślij cennik"."""
    payer = _payer(request, payer_id)
    sign_form = SignForm(request.POST or None)
    can_sign = request.membership.has_permission("insurers.change")
    status = 200
    if request.method == "POST":
        if not can_sign:
            raise PermissionDenied("insurers.change")
        if sign_form.is_valid():
            try:
                made = pricelists.publish(payer, password=sign_form.cleaned_data["password"], actor=request.user)
            except pricelists.SigningError as exc:
                sign_form.add_error("password" if exc.field == "password" else None, exc.message)
            else:
                messages.success(
                    request,
                    gettext("Cennik został podpisany i wysłany do %(insurer)s (%(count)s).")
                    % {"insurer": made.insurer.name, "count": _services_count(made.services_count)},
                )
                return redirect("clinic:payer", payer_id=payer.pk)
        status = 422
    return render(
        request,
        "clinic/payer.html",
        {
            "payer": payer,
            "groups": catalog_pricelists.groups_with_counts(payer),
            "state": pricelists.status(payer),
            "publications": PriceListPublication.objects.filter(payer=payer).select_related("created_by")[:10],
            "certificate": pricelists.active_certificate(request.provider.pk),
            "sign_form": sign_form,
            "can_sign": can_sign,
        },
        status=status,
    )


def _services_count(n: int) -> str:
    return ngettext("%(n)d usługa", "%(n)d usług", n) % {"n": n}


@clinic_view("payers.change")
def payer_group(request, payer_id: int, group_id: int, tab: str = "nienadpisane"):
    """One group of the general price list: the services not yet in the payer's list, or those
    that are ("Nadpisz" moves one over; "Usuń z cennika" back)."""
    if tab not in dict(TABS):
        raise Http404
    payer = _payer(request, payer_id)
    group = get_for_provider(ServiceGroup.objects.all(), request.provider, group_id) if group_id else None
    services = Service.objects.filter(provider=request.provider, is_active=True, group=group).order_by("name")
    overridden = {
        row.service_id: row
        for row in PayerService.objects.filter(payer=payer, service__group=group, service__is_active=True)
    }
    shown = [
        (service, overridden.get(service.pk))
        for service in services
        if (service.pk in overridden) == (tab == "nadpisane")
    ]
    return render(
        request,
        "clinic/payer_group.html",
        {
            "payer": payer,
            "group": group,
            "group_id": group_id,
            "tab": tab,
            "tabs": TABS,
            "rows": shown,
            "counts": {"nienadpisane": len(services) - len(overridden), "nadpisane": len(overridden)},
        },
    )


@require_POST
@clinic_view("payers.change")
def payer_override(request, payer_id: int, service_id: int):
    payer = _payer(request, payer_id)
    service = get_for_provider(Service.objects.select_related("group"), request.provider, service_id)
    group_id = service.group_id or NO_GROUP
    try:
        if request.POST.get("action") == "remove":
            catalog_pricelists.remove(payer, service, actor=request.user)
            messages.success(request, gettext("Usunięto usługę %(code)s z cennika płatnika.") % {"code": service.code})
            return redirect("clinic:payer-group-tab", payer_id=payer.pk, group_id=group_id, tab="nadpisane")
        catalog_pricelists.override(payer, service, actor=request.user)
    except catalog_pricelists.PriceListError as exc:
        messages.error(request, exc.message)
        return redirect("clinic:payer-group", payer_id=payer.pk, group_id=group_id)
    messages.success(
        request,
        gettext("Nadpisano usługę %(code)s do cennika płatnika – pamiętaj o wysłaniu cennika.")
        % {"code": service.code},
    )
    return redirect("clinic:payer-group", payer_id=payer.pk, group_id=group_id)


@clinic_view("payers.change")
def payer_export(request, payer_id: int):
    """XLSX (seed 001 §11.2.1): every service of the general price list with, for the overridden
    ones, the override's id, the base's id and the price; other prices are not shown."""
    payer = _payer(request, payer_id)
    overridden = {row.service_id: row for row in PayerService.objects.filter(payer=payer)}
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = gettext("Cennik płatnika")
    sheet.append(
        [
            gettext("Grupa"),
            gettext("Kod"),
            gettext("Nazwa usługi"),
            gettext("Id usługi nadpisanej"),
            gettext("Id usługi bazowej"),
            gettext("Cena brutto (zł)"),
            gettext("Stawka VAT"),
        ]
    )
    services = Service.objects.filter(provider=request.provider, is_active=True).select_related("group")
    for service in services.order_by("group__name", "name"):
        row = overridden.get(service.pk)
        sheet.append(
            [
                _safe(service.group.name) if service.group else "",
                _safe(service.code),
                _safe(service.name),
                row.pk if row else None,
                service.pk if row else None,
                service.price if row else None,
                service.get_vat_rate_display() if row else None,
            ]
        )
    for column, width in zip("ABCDEFG", (24, 14, 48, 20, 18, 16, 12), strict=True):
        sheet.column_dimensions[column].width = width
    for cell in sheet["F"][1:]:
        cell.number_format = "#,##0.00"
    record_audit(
        provider_id=request.provider.pk,
        action="pricelist.exported",
        target=payer,
        summary=gettext("Wyeksportowano cennik płatnika %(payer)s do pliku Excel") % {"payer": payer.name},
        actor=request.user,
    )
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        f'attachment; filename="cennik-platnika-{payer.pk}-{clock.local_today():%Y-%m-%d}.xlsx"'
    )
    workbook.save(response)
    return response


@clinic_view("payers.change")
def publication_document(request, payer_id: int, publication_id: int):
    """The signed price list exactly as it was sent."""
    payer = _payer(request, payer_id)
    publication = get_for_provider(PriceListPublication.objects.filter(payer=payer), request.provider, publication_id)
    response = HttpResponse(publication.document, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="cennik-platnika-{payer.pk}-{publication.created_at:%Y%m%d%H%M}.xml"'
    )
    return response
