"""A4 "Abonament rejestracji on-line" (Ustawienia): the service's state ("Rejestracja on-line",
"Data ważności umowy", "Rodzaj umowy", schedules published of the quantity), "Włącz tryb demo"
with "Ilość", "Kup" (12 months: "Ilość" → "Czy wystawić fakturę?" with the data previewed,
"Zatwierdź" / "Aktualizuj dane" → "Zrealizuj płatność" at the gateway → "Włącz"), and "Wykaz
umów". The gateway's notification (`notify`) is the only thing that marks an order paid."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from terminarz.core import clock
from terminarz.payments import gateways
from terminarz.payments.gateways.base import GatewayError
from terminarz.payments.models import GatewayName
from terminarz.providers.models import settings_for
from terminarz.subscriptions import services
from terminarz.subscriptions.models import Subscription, SubscriptionKind

from .access import clinic_view, get_for_provider
from .polish_fields import NIPField, PostalCodeField


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Ilość"),
        min_value=1,
        max_value=500,
        help_text=_("Liczba terminarzy personelu, które placówka będzie publikować online."),
    )


@require_http_methods(["GET", "POST"])
@clinic_view("settings.change")
def subscription(request):
    provider = request.provider
    today = clock.local_today()
    demo_form = QuantityForm(request.POST if request.POST.get("action") == "demo" else None, prefix="demo")
    buy_form = QuantityForm(request.POST if request.POST.get("action") == "buy" else None, prefix="buy")
    if request.method == "POST" and request.POST.get("action") == "buy" and buy_form.is_valid():
        try:
            ordered = services.order(provider, quantity=buy_form.cleaned_data["quantity"], actor=request.user)
        except services.SubscriptionError as error:
            buy_form.add_error(None, error.message)
        else:
            return redirect("clinic:subscription-order", subscription_id=ordered.pk)
    if request.method == "POST" and request.POST.get("action") == "demo" and demo_form.is_valid():
        try:
            services.enable_demo(provider, quantity=demo_form.cleaned_data["quantity"], actor=request.user)
        except services.SubscriptionError as error:
            demo_form.add_error(None, error.message)
        else:
            messages.success(request, gettext("Tryb demo włączony na 3 miesiące. Rejestracja on-line działa."))
            return redirect("clinic:subscription")
    current = services.active(provider.pk)
    contracts = Subscription.objects.filter(provider=provider)
    return render(
        request,
        "clinic/subscription.html",
        {
            "current": current,
            "online": settings_for(provider.pk).online_registration,
            "published": services.published_count(provider.pk, today),
            "contracts": contracts,
            "demo_used": contracts.filter(kind=SubscriptionKind.DEMO).exists(),
            "demo_form": demo_form,
            "buy_form": buy_form,
            "open_order": contracts.filter(status__in=("ordered", "paid")).first(),
            "price": services.price_per_schedule(),
        },
        status=422 if demo_form.errors or buy_form.errors else 200,
    )


class InvoiceForm(forms.Form):
    name = forms.CharField(label=_("Nazwa nabywcy"), max_length=200)
    nip = NIPField(label="NIP")
    street = forms.CharField(label=_("Ulica i numer"), max_length=200)
    postal_code = PostalCodeField(label=_("Kod pocztowy"))
    city = forms.CharField(label=_("Miejscowość"), max_length=100)


@require_http_methods(["GET", "POST"])
@clinic_view("settings.change")
def subscription_order(request, subscription_id: int):
    """One order, step by step: the invoice choice, the payment, "Włącz"."""
    found = get_for_provider(Subscription.objects.all(), request.provider, subscription_id)
    preview = services.invoice_preview(request.provider)
    action = request.POST.get("action", "")
    invoice_form = InvoiceForm(
        request.POST if action == "invoice-update" else None, initial=found.invoice_data or preview
    )
    editing = request.GET.get("dane") == "1" or bool(invoice_form.errors)
    if request.method == "POST":
        try:
            if action == "no-invoice":
                services.choose_invoice(found, wanted=False)
                return redirect("clinic:subscription-order", subscription_id=found.pk)
            if action == "invoice-confirm":
                services.choose_invoice(found, wanted=True, data=preview)
                return redirect("clinic:subscription-order", subscription_id=found.pk)
            if action == "invoice-update" and invoice_form.is_valid():
                services.choose_invoice(found, wanted=True, data=invoice_form.cleaned_data)
                return redirect("clinic:subscription-order", subscription_id=found.pk)
            if action == "pay":
                started = services.start_payment(found, email=request.user.email)
                if started.form:  # the gateway wants the start as a form POST (Autopay)
                    return render(request, "clinic/subscription_redirect.html", {"started": started})
                return redirect(started.redirect_url)
            if action == "activate":
                services.activate(found, actor=request.user)
                messages.success(request, gettext("Abonament włączony na 12 miesięcy. Rejestracja on-line działa."))
                return redirect("clinic:subscription")
        except services.SubscriptionError as error:
            messages.error(request, error.message)
        except GatewayError:
            messages.error(
                request, gettext("Nie udało się połączyć z operatorem płatności. Spróbuj ponownie za chwilę.")
            )
        found.refresh_from_db()
    return render(
        request,
        "clinic/subscription_order.html",
        {
            "order": found,
            "preview": preview,
            "invoice_form": invoice_form,
            "editing": editing,
            "invoice_issued": services.invoice_of(found) is not None,
        },
        status=422 if invoice_form.errors else 200,
    )


@clinic_view("settings.change")
def subscription_invoice(request, subscription_id: int):
    """The platform's invoice for a paid order (PDF); issued now if the payment's own attempt
    failed, with what is wrong said on the order page."""
    found = get_for_provider(Subscription.objects.all(), request.provider, subscription_id)
    if not found.invoice or found.paid_at is None:
        raise Http404
    try:
        invoice = services.issue_invoice(found)
    except services.SubscriptionError as error:
        messages.error(request, error.message)
        return redirect("clinic:subscription-order", subscription_id=found.pk)
    if invoice is None:
        raise Http404
    response = HttpResponse(services.invoice_pdf_of(invoice), content_type="application/pdf")
    filename = invoice.number.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@clinic_view("settings.change")
def subscription_return(request, subscription_id: int):
    """Where the gateway sends the admin back: the order page says whether the payment is in."""
    found = get_for_provider(Subscription.objects.all(), request.provider, subscription_id)
    if found.status == "paid":
        messages.success(request, gettext("Płatność zaksięgowana. Włącz usługę."))
    elif found.status == "ordered":
        messages.info(
            request, gettext("Czekamy na potwierdzenie płatności od operatora płatności – odśwież stronę za chwilę.")
        )
    return redirect("clinic:subscription-order", subscription_id=found.pk)


@csrf_exempt
@require_POST
@ratelimit(key="ip", rate="120/m", block=True)
def notify(request, gateway: str):
    """The gateway's notification of a subscription's payment (public, verified by the protocol)."""
    if gateway not in GatewayName.values or not gateways.configured(gateway):
        raise Http404
    try:
        answer = services.handle_notification(gateway, request.body, request.content_type or "")
    except GatewayError:
        return HttpResponse("retry", status=503, content_type="text/plain")
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
