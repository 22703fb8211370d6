"""The provider's OLS pages (G9, seed 002): "Wniosek o wypłatę świadczenia" – claims for
services given to insured patients at the prices of accepted thematic terms – and "Rozliczenia
finansowe" – settlement reports of the accepted claims, due in 3 business days, with an XLSX
for accounting. Thin: `insurers.ols` decides."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from openpyxl import Workbook

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.insurers import ols
from terminarz.insurers.models import Claim, Cooperation, CooperationStatus, Settlement

from .access import clinic_view, get_for_provider
from .bookings import _safe

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _active_insurers(provider):
    return [
        c.insurer
        for c in Cooperation.objects.filter(provider=provider, status=CooperationStatus.ACTIVE)
        .select_related("insurer")
        .order_by("insurer__name")
    ]


class ClaimForm(forms.Form):
    service = forms.TypedChoiceField(label=_("Świadczenie"), coerce=int)
    patient_name = forms.CharField(label=_("Imię i nazwisko ubezpieczonego"), max_length=200)
    patient_pesel = forms.CharField(label=_("PESEL ubezpieczonego"), max_length=11)
    service_date = forms.DateField(label=_("Data udzielenia świadczenia"), widget=DATE)

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.offered = {}
        choices: list[tuple[object, str]] = [("", gettext("– wybierz –"))]
        for insurer in _active_insurers(provider):
            for service, price in ols.claimable_services(provider.pk, insurer):
                self.offered[service.pk] = insurer
                choices.append((service.pk, f"{insurer.name}: {service.name} – {price} zł"))
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


@require_http_methods(["GET", "POST"])
@clinic_view("insurers.change")
def claims(request):
    form = ClaimForm(request.POST or None, provider=request.provider)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            made = ols.file_claim(
                request.provider.pk,
                form.offered[c["service"]],
                service_id=c["service"],
                patient_name=c["patient_name"],
                patient_pesel=c["patient_pesel"],
                service_date=c["service_date"],
                actor=request.user,
            )
        except ols.OlsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, gettext("Złożono wniosek %(number)s.") % {"number": made.number})
            return redirect("clinic:ols-claims")
    rows = Claim.objects.filter(provider=request.provider).select_related("insurer", "service", "settlement")[:200]
    return render(
        request,
        "clinic/ols_claims.html",
        {"form": form, "rows": rows, "has_services": len(form.fields["service"].choices) > 1},  # type: ignore[attr-defined]
        status=422 if form.errors else 200,
    )


class SettlementForm(forms.Form):
    insurer = forms.TypedChoiceField(label=_("Ubezpieczyciel"), coerce=int)
    period_start = forms.DateField(label=_("Okres od"), widget=DATE)
    period_end = forms.DateField(label=_("Okres do"), widget=DATE)

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.insurers = {i.pk: i for i in _active_insurers(provider)}
        field = self.fields["insurer"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(i.pk, i.name) for i in self.insurers.values()]


@require_http_methods(["GET", "POST"])
@clinic_view("insurers.change")
def settlements(request):
    today = clock.local_today()
    first = today.replace(day=1)
    form = SettlementForm(
        request.POST or None,
        provider=request.provider,
        initial={
            "period_start": (first - dt.timedelta(days=1)).replace(day=1),
            "period_end": first - dt.timedelta(days=1),
        },
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            made = ols.make_settlement(
                request.provider.pk,
                form.insurers[c["insurer"]],
                period_start=c["period_start"],
                period_end=c["period_end"],
                actor=request.user,
            )
        except ols.OlsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                gettext("Wygenerowano rozliczenie %(number)s: %(total)s zł, termin płatności %(due)s.")
                % {"number": made.number, "total": made.total, "due": made.due_date.strftime("%d.%m.%Y")},
            )
            return redirect("clinic:ols-settlements")
    rows = Settlement.objects.filter(provider=request.provider).select_related("insurer")[:100]
    return render(
        request,
        "clinic/ols_settlements.html",
        {"form": form, "rows": rows},
        status=422 if form.errors else 200,
    )


@clinic_view("insurers.change")
def settlement_export(request, settlement_id: int):
    """One settlement for accounting: its claims with dates as dates and amounts as numbers (no
    patient's PESEL)."""
    settlement = get_for_provider(Settlement.objects.select_related("insurer"), request.provider, settlement_id)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = gettext("Rozliczenie")
    sheet.append([gettext("Rozliczenie"), settlement.number, gettext("Ubezpieczyciel"), _safe(settlement.insurer.name)])
    sheet.append([gettext("Okres od"), settlement.period_start, gettext("do"), settlement.period_end])
    sheet.append([gettext("Kwota należna (zł)"), settlement.total, gettext("Termin płatności"), settlement.due_date])
    sheet.append([])
    sheet.append([gettext("Numer wniosku"), gettext("Data świadczenia"), gettext("Świadczenie"), gettext("Kwota (zł)")])
    for claim in settlement.claims.select_related("service").order_by("service_date", "pk"):
        sheet.append([claim.number, claim.service_date, _safe(claim.service.name), claim.amount])
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for column, width in zip("ABCD", (22, 18, 40, 14), strict=True):
        sheet.column_dimensions[column].width = width
    record_audit(
        provider_id=request.provider.pk,
        action="ols.settlement_exported",
        target=settlement,
        summary=f"Eksport rozliczenia {settlement.number} do pliku Excel",
        actor=request.user,
    )
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="rozliczenie-{settlement.pk}.xlsx"'
    workbook.save(response)
    return response
