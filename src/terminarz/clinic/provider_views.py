"""A2 "Dane placówki": the provider's data as the platform knows it. Before the admin confirms
it ("Potwierdzam poprawność danych") it is edited in place; afterwards "Edytuj dane" makes a
change request that the platform operator approves (the diff is shown; the live data changes
only then) or rejects with a reason. A pending request can be withdrawn."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core.statemachine import TransitionRefused
from terminarz.onboarding import changes
from terminarz.onboarding.models import ChangeRequest
from terminarz.onboarding.services import OnboardingError
from terminarz.providers.models import Provider

from .access import clinic_view
from .polish_fields import NIPField, REGONField

REQUIRED = ("name", "nip", "regon", "email", "phone")


class ProviderDataForm(forms.Form):
    name = forms.CharField(label=_("Nazwa podmiotu"), max_length=200)
    nip = NIPField(label="NIP")
    regon = REGONField(label="REGON")
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Telefon"), max_length=30)
    description = forms.CharField(
        label=_("Opis"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("Potwierdzam poprawność danych"), required=False)


def _missing(provider: Provider) -> list[str]:
    return [str(ProviderDataForm.base_fields[name].label) for name in REQUIRED if not getattr(provider, name)]


@require_http_methods(["GET", "POST"])
@clinic_view("provider.change")
def provider_data(request):
    provider = Provider.objects.get(pk=request.provider.pk)
    pending = changes.pending_for(provider)
    editing = request.GET.get("edycja") == "1" or request.POST.get("action") == "edit"
    initial = {name: getattr(provider, name) for name in ProviderDataForm.base_fields}
    form = ProviderDataForm(request.POST if request.POST.get("action") == "edit" else None, initial=initial)
    confirm_form = ConfirmForm(request.POST if request.POST.get("action") == "confirm" else None)
    action = request.POST.get("action")
    if action == "edit" and form.is_valid():
        values = form.cleaned_data
        try:
            if provider.data_confirmed_at is None:
                identity = {name: values[name] for name in changes.IDENTITY_FIELDS}
                with transaction.atomic():  # the contact data and the identity request, or neither
                    changes.edit_unconfirmed(provider, values, actor=request.user)
                    requested = changes.request_provider_change(provider, identity, actor=request.user)
                if requested is None:
                    messages.success(request, gettext("Zapisano dane placówki. Sprawdź je i potwierdź ich poprawność."))
                else:
                    messages.success(
                        request,
                        gettext(
                            "Zapisano dane kontaktowe. Zmiana nazwy, NIP lub REGON trafiła do operatora "
                            "i zacznie obowiązywać po jego zatwierdzeniu."
                        ),
                    )
            elif changes.request_provider_change(provider, values, actor=request.user) is None:
                messages.success(request, gettext("Dane się nie zmieniły – nie ma czego wysyłać."))
            else:
                messages.success(
                    request,
                    gettext("Wysłano wniosek o zmianę danych. Dane zmienią się po zatwierdzeniu przez operatora."),
                )
            return redirect("clinic:provider-data")
        except OnboardingError as error:
            form.add_error(None, error.message)
    elif action == "confirm" and confirm_form.is_valid():
        missing = _missing(provider)
        if missing:
            needed = gettext("Uzupełnij wymagane dane: %(fields)s.") % {"fields": ", ".join(missing)}
            confirm_form.add_error(None, needed)
        else:
            try:
                changes.confirm_data(provider, confirmed=confirm_form.cleaned_data["confirm"], actor=request.user)
                messages.success(request, gettext("Dziękujemy – dane placówki są potwierdzone."))
                return redirect("clinic:provider-data")
            except OnboardingError as error:
                confirm_form.add_error("confirm", error.message)
    elif action == "withdraw" and pending is not None:
        try:
            changes.withdraw(pending, actor=request.user)
            messages.success(request, gettext("Wycofano wniosek o zmianę danych."))
        except TransitionRefused as error:
            messages.error(request, error.message)
        return redirect("clinic:provider-data")
    location = provider.locations.order_by("number").first()
    history = ChangeRequest.objects.filter(provider=provider).exclude(status="pending").select_related("location")[:10]
    return render(
        request,
        "clinic/provider_data.html",
        {
            "provider": provider,
            "location": location,
            "form": form,
            "confirm_form": confirm_form,
            "editing": editing or bool(form.errors),
            "pending": pending,
            "pending_rows": changes.diff(pending) if pending else [],
            "history": [(change, changes.diff(change)) for change in history],
            "missing": _missing(provider),
        },
        status=422 if form.errors or confirm_form.errors else 200,
    )
