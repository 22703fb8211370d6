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

from terminarz.integrations import services, webhooks
from terminarz.integrations.models import SCOPES, WEBHOOK_EVENTS, ApiCredential, Webhook

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


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("Adres (URL)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Adres https w systemie placówki, pod który wyślemy zdarzenia (metoda POST, JSON)."),
    )
    events = forms.MultipleChoiceField(
        label=_("Zdarzenia"),
        choices=WEBHOOK_EVENTS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Wybierz co najmniej jedno zdarzenie.")},
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


def _fresh_form() -> CredentialForm:
    return CredentialForm(initial={"submission_key": uuid.uuid4().hex})


def _fresh_webhook_form() -> WebhookForm:
    return WebhookForm(initial={"submission_key": uuid.uuid4().hex}, prefix="webhook")


def _page(request, form, *, webhook_form=None, secret=None, secret_for=None, webhook_secret=None, status=200):
    hooks = list(Webhook.objects.filter(provider=request.provider))
    labels = dict(WEBHOOK_EVENTS)
    for hook in hooks:
        hook.last_delivery = hook.deliveries.order_by("-created_at", "-pk").first()  # type: ignore[attr-defined]
        hook.event_names = [labels.get(name, name) for name in hook.events]  # type: ignore[attr-defined]
    response = render(
        request,
        "clinic/integrations.html",
        {
            "form": form,
            "webhook_form": webhook_form or _fresh_webhook_form(),
            "rows": ApiCredential.objects.filter(provider=request.provider),
            "webhooks": hooks,
            "event_labels": dict(WEBHOOK_EVENTS),
            "secret": secret,
            "secret_for": secret_for,
            "webhook_secret": webhook_secret,
            "scope_labels": dict(SCOPES),
            "rotation_key": uuid.uuid4().hex,
        },
        status=status,
    )
    if secret is not None or webhook_secret is not None:
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


@require_POST
@clinic_view("integrations.change")
def webhook_create(request):
    form = WebhookForm(request.POST, prefix="webhook")
    if not form.is_valid():
        return _page(request, _fresh_form(), webhook_form=form, status=422)
    c = form.cleaned_data
    try:
        webhook, secret = webhooks.create(
            request.provider.pk,
            url=c["url"],
            events=c["events"],
            actor=request.user,
            submission_key=c["submission_key"],
        )
    except webhooks.WebhookError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
            return _page(request, _fresh_form(), webhook_form=form, status=422)
        messages.warning(request, exc.message)
        return redirect("clinic:integrations")
    return _page(request, _fresh_form(), webhook_secret=secret, secret_for=webhook)


@require_http_methods(["GET", "POST"])
@clinic_view("integrations.change")
def webhook_detail(request, webhook_id: int):
    """A webhook's delivery log (the last 100, with each answer) and its actions."""
    webhook = get_for_provider(Webhook.objects.all(), request.provider, webhook_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "test":
            delivery = webhooks.send_test(webhook)
            if delivery.status == "delivered":
                messages.success(
                    request, gettext("Test dostarczony – odpowiedź %(code)s.") % {"code": delivery.response_code}
                )
            elif delivery.attempts == 0:  # the worker has not sent it yet
                messages.info(request, gettext("Test wysłany – jego wynik pojawi się w dzienniku za chwilę."))
            else:
                messages.error(
                    request,
                    gettext("Test nie dotarł (%(error)s). Ponowimy go automatycznie.")
                    % {"error": delivery.error or "-"},
                )
        elif action in ("disable", "enable"):
            webhooks.set_active(webhook, action == "enable", actor=request.user)
            messages.success(
                request, gettext("Webhook włączony.") if action == "enable" else gettext("Webhook wyłączony.")
            )
        elif action == "rotate":
            secret = webhooks.rotate_secret(webhook, actor=request.user)
            response = _detail(request, webhook, secret=secret)
            response["Cache-Control"] = "no-store"
            return response
        return redirect("clinic:webhook", webhook_id=webhook.pk)
    return _detail(request, webhook)


def _detail(request, webhook, *, secret=None):
    labels = dict(WEBHOOK_EVENTS)
    deliveries = list(webhook.deliveries.order_by("-created_at", "-pk")[:100])
    for delivery in deliveries:
        delivery.event_name = labels.get(delivery.event, gettext("test"))  # type: ignore[attr-defined]
    return render(
        request,
        "clinic/webhook.html",
        {
            "webhook": webhook,
            "event_names": [labels.get(name, name) for name in webhook.events],
            "deliveries": deliveries,
            "secret": secret,
        },
    )
