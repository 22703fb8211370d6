"""Umowy komercyjne (G5, seed 000 §4.2.3): the list of contracts with "Dodaj" (Moja nazwa umowy,
Data zawarcia, Data od – Data do, Typ płatności, Płatnik, Status umowy), and a contract's
products ("Produkty": the price of one point, Data od – Data do, Stawka VAT, Czy aktywna,
Miejsca; "Dodaj cały zakres" of a product group). Thin: `catalog.contracts` decides."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.catalog import contracts
from terminarz.catalog.models import Contract, ContractStatus, Payer, Service, ServiceGroup, VatRate
from terminarz.core.audit import record_audit
from terminarz.core.statemachine import TransitionRefused
from terminarz.providers.models import Unit

from .access import clinic_view, get_for_provider

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["name", "signed_on", "valid_from", "valid_to", "payment_type", "payer"]
        widgets = {"signed_on": DATE, "valid_from": DATE, "valid_to": DATE}

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.provider = provider
        field = self.fields["payer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Payer.objects.filter(provider=provider, is_active=True).order_by("name")

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("valid_from") and cleaned.get("valid_to") and cleaned["valid_to"] < cleaned["valid_from"]:
            self.add_error("valid_to", _("Data „do” nie może być wcześniejsza niż „od”."))
        return cleaned


@require_http_methods(["GET", "POST"])
@clinic_view("services.change")
def contract_list(request):
    form = ContractForm(request.POST or None, provider=request.provider)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contract = form.save(commit=False)
            contract.status = ContractStatus.DRAFT
            contract.save()
            contracts.CONTRACT.created(contract, actor=request.user)
            record_audit(
                provider_id=request.provider.pk,
                action="contract.created",
                target=contract,
                summary=f"Dodano umowę komercyjną {contract.name} ({contract.payer.name})",
                actor=request.user,
            )
        messages.success(request, gettext("Zapisano umowę – dodaj do niej produkty."))
        return redirect("clinic:contract", contract_id=contract.pk)
    rows = Contract.objects.filter(provider=request.provider).select_related("payer")
    return render(
        request,
        "clinic/contracts.html",
        {"form": form, "rows": rows, "has_payers": form.fields["payer"].queryset.exists()},  # type: ignore[attr-defined]
        status=422 if form.errors else 200,
    )


class ProductForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Usługa"), queryset=Service.objects.none())
    point_price = forms.DecimalField(
        label=_("Cena jednego punktu w produkcie (zł)"), max_digits=9, decimal_places=2, min_value=0
    )
    valid_from = forms.DateField(label=_("Data od"), required=False, widget=DATE, help_text=_("Puste – jak umowa."))
    valid_to = forms.DateField(label=_("Data do"), required=False, widget=DATE, help_text=_("Puste – jak umowa."))
    vat_rate = forms.ChoiceField(label=_("Stawka VAT"), choices=VatRate.choices, initial=VatRate.EXEMPT)
    is_active = forms.BooleanField(label=_("Czy aktywna"), required=False, initial=True)
    units = forms.ModelMultipleChoiceField(
        label=_("Miejsca"), queryset=Unit.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        units = self.fields["units"]
        assert isinstance(service, forms.ModelChoiceField)
        assert isinstance(units, forms.ModelMultipleChoiceField)
        service.queryset = Service.objects.filter(provider=provider, is_active=True).order_by("name")
        units.queryset = Unit.objects.filter(provider=provider).order_by("name")


class RangeForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Grupa (produkt kontraktowy)"), queryset=ServiceGroup.objects.none())

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ServiceGroup.objects.filter(provider=provider).order_by("name")


@require_http_methods(["GET", "POST"])
@clinic_view("services.change")
def contract_detail(request, contract_id: int):
    contract = get_for_provider(Contract.objects.select_related("payer"), request.provider, contract_id)
    action = request.POST.get("action", "")
    product_form = ProductForm(request.POST if action == "product" else None, provider=request.provider)
    range_form = RangeForm(request.POST if action == "range" else None, provider=request.provider)
    status = 200
    if request.method == "POST":
        try:
            if action == "product" and product_form.is_valid():
                c = product_form.cleaned_data
                contracts.add_product(
                    contract,
                    c["service"],
                    point_price=c["point_price"],
                    valid_from=c["valid_from"],
                    valid_to=c["valid_to"],
                    vat_rate=c["vat_rate"],
                    is_active=c["is_active"],
                    units=c["units"],
                    actor=request.user,
                )
                messages.success(request, gettext("Dodano produkt do umowy."))
                return redirect("clinic:contract", contract_id=contract.pk)
            if action == "range" and range_form.is_valid():
                added, skipped = contracts.add_whole_range(
                    contract, range_form.cleaned_data["group"], actor=request.user
                )
                messages.success(
                    request,
                    gettext("Dodano cały zakres: nowe produkty %(added)d, pominięte (już w umowie) %(skipped)d.")
                    % {"added": added, "skipped": skipped},
                )
                return redirect("clinic:contract", contract_id=contract.pk)
            if action == "activate":
                contracts.activate(contract, actor=request.user)
                messages.success(request, gettext("Umowa jest aktywna."))
                return redirect("clinic:contract", contract_id=contract.pk)
            if action == "end":
                contracts.end(contract, actor=request.user)
                messages.success(request, gettext("Umowa została zakończona."))
                return redirect("clinic:contract", contract_id=contract.pk)
        except contracts.ContractError as exc:
            form = product_form if action == "product" else range_form
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        status = 422
    return render(
        request,
        "clinic/contract.html",
        {
            "contract": contract,
            "products": contract.products.select_related("service").prefetch_related("units"),
            "product_form": product_form,
            "range_form": range_form,
        },
        status=status,
    )
