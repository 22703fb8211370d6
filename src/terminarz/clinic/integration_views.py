"""Integracje (A7): the admin creates API credentials for an external clinic system (the secret
shown once), rotates or revokes them, and reads the connection status ("Status połączenia:
Aktywna" or the loss) with the last contact time. Thin: `integrations.services` decides."""

import uuid

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from terminarz.integrations import services
from terminarz.integrations.models import SCOPES, ApiCredential

from .access import clinic_view, get_for_provider


class CredentialForm(forms.Form):
    name = forms.CharField(label=_("Nazwa systemu"), max_length=100, help_text=_("np. system gabinetowy w recepcji"))
    scopes = forms.MultipleChoiceField(
        label=_("Zakres dostępu"),
        choices=SCOPES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Wybierz co najmniej jeden zakres dostępu.")},
    )
    alert_after_minutes = forms.IntegerField(
        label=_("Alarm po braku kontaktu (min)"),
        min_value=5,
        max_value=10080,
        initial=30,
        help_text=_("Po tylu minutach bez kontaktu wyślemy e-mail o utracie połączenia (5 min – 7 dni)."),
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


def _fresh_form() -> CredentialForm:
    return CredentialForm(initial={"submission_key": uuid.uuid4().hex})


def _page(request, form, *, secret=None, secret_for=None, status=200):
    response = render(
        request,
        "clinic/integrations.html",
        {
            "form": form,
            "rows": ApiCredential.objects.filter(provider=request.provider),
            "secret": secret,
            "secret_for": secret_for,
            "scope_labels": dict(SCOPES),
            "rotation_key": uuid.uuid4().hex,
        },
        status=status,
    )
    if secret is not None:
        response["Cache-Control"] = "no-store"  # the secret is on this answer only
    return response


@require_http_methods(["GET", "POST"])
@clinic_view("integrations.change")
def integrations(request):
    form = CredentialForm(request.POST) if request.method == "POST" else _fresh_form()
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            credential, secret = services.create(
                request.provider.pk,
                name=c["name"],
                scopes=c["scopes"],
                alert_after_minutes=c["alert_after_minutes"],
                actor=request.user,
                submission_key=c["submission_key"],
            )
        except services.AlreadyCreated as exc:
            messages.warning(request, exc.message)
            return redirect("clinic:integrations")
        # The secret is shown on this answer only (never stored in the clear, never sent again).
        return _page(request, _fresh_form(), secret=secret, secret_for=credential)
    return _page(request, form, status=422 if form.errors else 200)


@require_POST
@clinic_view("integrations.change")
def integration_action(request, credential_id: int):
    credential = get_for_provider(ApiCredential.objects.all(), request.provider, credential_id)
    action = request.POST.get("action")
    if action == "rotate":
        try:
            secret = services.rotate(credential, actor=request.user, rotation_key=request.POST.get("rotation_key", ""))
        except services.CredentialError as exc:
            messages.error(request, exc.message)
            return redirect("clinic:integrations")
        return _page(request, _fresh_form(), secret=secret, secret_for=credential)
    if action == "revoke":
        services.revoke(credential, actor=request.user)
        messages.success(request, gettext("Dane dostępowe zostały unieważnione – system nie połączy się już nimi."))
    return redirect("clinic:integrations")
