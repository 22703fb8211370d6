"""Messages in the back-office (I1): the provider's message log with filters, and the
provider's own wording of patient messages with safe placeholders and a preview."""

from django import forms
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.notifications import templating
from terminarz.notifications.models import Message, MessageStatus, MessageTemplate
from terminarz.notifications.services import reset_message_template, save_message_template
from terminarz.notifications.sms import to_gsm
from terminarz.notifications.templating import EDITABLE, PLACEHOLDERS, TemplateError, check

from . import scope
from .access import clinic_view

SAMPLE = {
    "imie": "Anna",
    "nazwisko": "Przykładowa",
    "data": "piątek, 27 listopada 2026",
    "godzina": "10:30",
    "lekarz": "lek. Jan Kowalski",
    "poradnia": "Poradnia kardiologiczna",
    "adres": "ul. Długa 12, 31-146 Kraków",
    "placowka": "Przychodnia",
    "telefon": "+48 12 345 67 00",
    "numer": "AB12CD34",
    "link_odwolania": "https://example.pl/wizyta/1/odwolaj/?t=…",
    "link_potwierdzenia": "https://example.pl/wizyta/1/potwierdz/?t=…",
    "powod": "nieobecność lekarza",
    "link_oferty": "https://example.pl/lista-rezerwowa/oferta/…/",
    "oferta_do": "11:00",
    "link_rezygnacji": "https://example.pl/lista-rezerwowa/1/?t=…",
}


class LogFilter(forms.Form):
    channel = forms.ChoiceField(
        label=_("Kanał"), required=False, choices=[("", _("wszystkie")), *Message.Channel.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("wszystkie")), *MessageStatus.choices]
    )
    recipient = forms.CharField(label=_("Odbiorca"), required=False, max_length=254)


def visible_messages(membership, queryset: QuerySet[Message]) -> QuerySet[Message]:
    """Messages narrowed to the person's scope (scope.py): one about a visit only when the visit
    is visible to them, any other only when its patient's record is (so none without a patient
    unless they see every record and every calendar)."""
    if scope.sees_all_calendars(membership) and scope.sees_all_patients(membership):
        return queryset
    about_visit = Q(context__has_key="appointment")
    return queryset.annotate(appointment_ref=Cast(KT("context__appointment"), BigIntegerField())).filter(
        (about_visit & Q(appointment_ref__in=scope.visible_appointments(membership).values("pk")))
        | (~about_visit & Q(patient__in=scope.visible_patients(membership).values("pk")))
    )


@clinic_view("messages.view")
def message_log(request):
    form = LogFilter(request.GET or None)
    log = visible_messages(
        request.membership, Message.objects.filter(provider=request.provider).order_by("-created_at", "-pk")
    )
    if form.is_valid():
        c = form.cleaned_data
        if c["channel"]:
            log = log.filter(channel=c["channel"])
        if c["status"]:
            log = log.filter(status=c["status"])
        if c["recipient"]:
            log = log.filter(recipient__icontains=c["recipient"].strip())
    page = Paginator(log, 50).get_page(request.GET.get("strona"))
    params = request.GET.copy()
    params.pop("strona", None)
    return render(request, "clinic/messages.html", {"form": form, "page": page, "params": params.urlencode()})


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("Temat"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Treść"), widget=forms.Textarea(attrs={"rows": 8}), error_messages={"required": _("Wpisz treść.")}
    )

    def __init__(self, *args, channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel == "sms":
            del self.fields["subject"]
            self.fields["body"].widget.attrs["rows"] = 3

    def clean_subject(self):
        return self._checked(self.cleaned_data.get("subject", ""))

    def clean_body(self):
        body = self._checked(self.cleaned_data["body"])
        if self.channel == "sms" and len(body) > 480:
            raise forms.ValidationError(_("SMS może mieć najwyżej 480 znaków (3 wiadomości)."))
        return body

    @staticmethod
    def _checked(text: str) -> str:
        try:
            check(text)
        except TemplateError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text


@clinic_view("settings.change")
def template_list(request):
    custom = {(t.kind, t.channel): t for t in MessageTemplate.objects.filter(provider=request.provider)}
    rows = [(kind, channel, label, custom.get((kind, channel))) for (kind, channel), label in EDITABLE.items()]
    return render(request, "clinic/message_templates.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@clinic_view("settings.change")
def template_edit(request, kind: str, channel: str):
    if (kind, channel) not in EDITABLE:
        raise Http404
    custom = MessageTemplate.objects.filter(provider=request.provider, kind=kind, channel=channel).first()
    initial = {"subject": custom.subject, "body": custom.body} if custom else {}
    form = TemplateForm(request.POST or None, initial=initial, channel=channel)
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "reset" and custom is not None:
        reset_message_template(request.provider, actor=request.user, kind=kind, channel=channel)
        flash.success(request, gettext("Przywrócono domyślną treść."))
        return redirect("clinic:message-template", kind=kind, channel=channel)
    preview = None
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        if action == "preview":
            preview = _preview(c.get("subject", ""), c["body"], channel, request.provider)
        else:
            save_message_template(
                request.provider,
                actor=request.user,
                kind=kind,
                channel=channel,
                subject=c.get("subject", ""),
                body=c["body"],
            )
            flash.success(request, gettext("Zapisano treść wiadomości. Obowiązuje od następnej wysyłki."))
            return redirect("clinic:message-template", kind=kind, channel=channel)
    elif custom is not None:
        preview = _preview(custom.subject, custom.body, channel, request.provider)
    return render(
        request,
        "clinic/message_template_form.html",
        {
            "form": form,
            "label": EDITABLE[(kind, channel)],
            "kind": kind,
            "channel": channel,
            "custom": custom,
            "preview": preview,
            "placeholders": PLACEHOLDERS,
        },
        status=422 if form.errors else 200,
    )


def _preview(subject: str, body: str, channel: str, provider) -> dict:
    """The text as a patient would get it, with sample data (no real patient's details)."""
    values = {**SAMPLE, "placowka": provider.name, "telefon": provider.phone or SAMPLE["telefon"]}
    text = templating.render(body, values)
    if channel == "sms":
        text = to_gsm(" ".join(text.split()))
        return {
            "subject": "",
            "body": text,
            "length": len(text),
            "parts": max(1, -(-len(text) // 153)) if len(text) > 160 else 1,
        }
    return {"subject": templating.render(subject, values) if subject else "", "body": text}
