"""I2 marketing campaigns in the back-office: write one (e-mail or SMS), see whom it would reach
and how it reads, send it once, and read its report."""

import string

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core.statemachine import TransitionRefused
from terminarz.marketing import services
from terminarz.marketing.models import Campaign
from terminarz.notifications import templating
from terminarz.notifications.sms import to_gsm
from terminarz.providers.models import Unit

from .access import clinic_view, get_for_provider

# The placeholders a campaign may use (a visit's are meaningless here).
CAMPAIGN_PLACEHOLDERS = ("imie", "nazwisko", "placowka", "telefon", "link_rezygnacji")
# An SMS campaign's own text: with the unsubscribe link at most 4 SMS parts, the link never cut.
SMS_BODY_MAX = 400
SAMPLE = {"imie": "Anna", "nazwisko": "Przykładowa", "link_rezygnacji": "https://example.pl/rezygnacja/…"}


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "channel", "unit", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6}), "channel": forms.RadioSelect}

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.provider = provider
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = Unit.objects.filter(provider=provider).order_by("name")
        unit.empty_label = gettext("wszyscy pacjenci placówki")
        self.fields["subject"].help_text = _("Tylko e-mail.")
        self.fields["body"].help_text = _("Możesz wstawić: %(fields)s. Link do rezygnacji dodamy zawsze na końcu.") % {
            "fields": ", ".join("{" + name + "}" for name in CAMPAIGN_PLACEHOLDERS)
        }

    @property
    def head_fields(self):
        return [self[name] for name in ("name", "channel", "unit", "subject")]

    def _check(self, name: str) -> str:
        text = self.cleaned_data.get(name) or ""
        try:
            templating.check(text)
        except templating.TemplateError as exc:
            raise forms.ValidationError(str(exc)) from None
        unknown = [
            field
            for _lit, field, _spec, _conv in string.Formatter().parse(text)
            if field and field not in CAMPAIGN_PLACEHOLDERS
        ]
        if unknown:
            raise forms.ValidationError(
                _("W kampanii nie ma pola {%(f)s}. Dozwolone: %(all)s.")
                % {"f": unknown[0], "all": ", ".join("{" + p + "}" for p in CAMPAIGN_PLACEHOLDERS)}
            )
        return text

    def clean_subject(self):
        return self._check("subject")

    def clean_body(self):
        return self._check("body")

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("channel") == Campaign.Channel.EMAIL and not cleaned.get("subject"):
            self.add_error("subject", _("Podaj temat wiadomości e-mail."))
        if cleaned.get("channel") == Campaign.Channel.SMS and len(cleaned.get("body") or "") > SMS_BODY_MAX:
            self.add_error(
                "body",
                _("SMS może mieć najwyżej %(n)d znaków treści – na końcu dodamy link do rezygnacji.")
                % {"n": SMS_BODY_MAX},
            )
        return cleaned


def _preview(campaign: Campaign, provider) -> tuple[str, str]:
    """(subject, text) as a patient would get them, with sample data."""
    values = {**SAMPLE, "placowka": provider.name, "telefon": provider.phone or ""}
    text = services.message_text(campaign, values, SAMPLE["link_rezygnacji"])
    if campaign.channel == Campaign.Channel.SMS:
        return "", to_gsm(" ".join(text.split()))
    return " ".join(templating.render(campaign.subject, values).split()), text


@require_http_methods(["GET", "POST"])
@clinic_view("marketing.send")
def campaigns(request):
    """The list, and a new campaign saved as a draft."""
    form = CampaignForm(request.POST or None, provider=request.provider)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        campaign = form.save()
        messages.success(request, gettext("Zapisano szkic kampanii. Sprawdź odbiorców i podgląd, potem wyślij."))
        return redirect("clinic:campaign", campaign_id=campaign.pk)
    rows = Campaign.objects.filter(provider=request.provider).select_related("unit")
    return render(request, "clinic/campaigns.html", {"form": form, "rows": rows}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@clinic_view("marketing.send")
def campaign(request, campaign_id: int):
    """A draft: edit it, see how many patients it would reach and how it reads, send it. A sent
    campaign: its report (messages by status, delivery, unsubscribed)."""
    item = get_for_provider(Campaign.objects.select_related("unit"), request.provider, campaign_id)
    draft = item.status == Campaign.Status.DRAFT
    action = request.POST.get("action", "")
    form = CampaignForm(request.POST if action == "save" and draft else None, instance=item, provider=request.provider)
    if action == "save" and draft and form.is_valid():
        # Only while still a draft (a send in another tab wins): the edited fields, nothing else.
        edited = form.save(commit=False)
        fields = {name: getattr(edited, name) for name in CampaignForm.Meta.fields}
        fields["unit_id"] = fields.pop("unit").pk if fields.get("unit") else None
        if not Campaign.objects.filter(pk=item.pk, status=Campaign.Status.DRAFT).update(**fields):
            messages.error(request, gettext("Kampania została już wysłana – nie zmieniono jej."))
            return redirect("clinic:campaign", campaign_id=item.pk)
        messages.success(request, gettext("Zapisano zmiany kampanii."))
        return redirect("clinic:campaign", campaign_id=item.pk)
    if action == "send":
        try:
            sent = services.send_campaign(item, actor=request.user)
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Wysłano kampanię do %(n)d pacjenta – wiadomości wychodzą stopniowo.",
                    "Wysłano kampanię do %(n)d pacjentów – wiadomości wychodzą stopniowo.",
                    sent,
                )
                % {"n": sent},
            )
        return redirect("clinic:campaign", campaign_id=item.pk)
    subject, text = _preview(item, request.provider)
    context = {"campaign": item, "form": form, "draft": draft, "preview_subject": subject, "preview": text}
    if draft:
        context["audience"] = len(services.audience(item))
    else:
        context["report"] = services.report(item)
    return render(request, "clinic/campaign.html", context, status=422 if form.errors else 200)
