"""A4 "Abonament rejestracji on-line" (Ustawienia): the service's state ("Rejestracja on-line",
"Data ważności umowy", "Rodzaj umowy", schedules published of the quantity), "Włącz tryb demo"
with "Ilość", and "Wykaz umów". Buying the 12-month subscription ("Kup") follows the same
page once the payment part is built."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core import clock
from terminarz.providers.models import settings_for
from terminarz.subscriptions import services
from terminarz.subscriptions.models import Subscription, SubscriptionKind

from .access import clinic_view


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
            "price": services.price_per_schedule(),
        },
        status=422 if demo_form.errors else 200,
    )
