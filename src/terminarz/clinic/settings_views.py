"""Online-registration settings of the provider (seed 001, Tabela 4), each with its help text."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from terminarz.core import audit
from terminarz.core.audit import record_audit
from terminarz.providers.models import RegistrationSettings, settings_for
from terminarz.subscriptions import services as subscriptions

from .access import clinic_view

SECTIONS = [
    (_("Stan usługi dla pacjentów"), ["online_registration", "without_account"]),
    (
        _("Zakres wymaganych danych podczas rejestracji on-line"),
        ["phone_required", "pesel_required", "account_data_required"],
    ),
    (_("Potwierdzanie rezerwacji"), ["multi_step", "hold_minutes"]),
    (
        _("Zasady rezerwacji i odwołań"),
        [
            "one_visit_per_specialization",
            "nfz_queues",
            "nfz_first_visit_online",
            "cancel_reason_required",
            "cancel_cutoff_hours",
        ],
    ),
    (
        _("Potwierdzenia i przypomnienia o wizytach"),
        ["confirmation_sms", "reminder_hours", "reminder_email", "reminder_sms"],
    ),
    (_("Powiadomienia i wizytówka"), ["return_email", "group_by_units"]),
    (_("Okno umawiania w kalendarzu"), ["cards_enabled"]),
]


class RegistrationSettingsForm(forms.ModelForm):
    class Meta:
        model = RegistrationSettings
        fields = [name for _title, names in SECTIONS for name in names]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["online_registration"].help_text = _(
            "Włącza lub wyłącza rejestrację wizyt przez pacjentów w portalu i w API. Działa, gdy abonament "
            "rejestracji on-line jest aktywny (Ustawienia → Abonament rejestracji on-line)."
        )
        self.fields["hold_minutes"].min_value = 5  # type: ignore[attr-defined]
        self.fields["hold_minutes"].widget.attrs.update(min=5, max=1440)
        self.fields["cancel_cutoff_hours"].widget.attrs.update(min=0, max=720)

    def clean_online_registration(self):
        """A4: online registration goes on only with an active subscription."""
        wanted = self.cleaned_data["online_registration"]
        if (
            wanted
            and not self.initial.get("online_registration")
            and not subscriptions.may_switch_online_on(self.instance.provider_id)
        ):
            raise forms.ValidationError(_("Włącz tryb demo albo kup abonament, aby włączyć rejestrację on-line."))
        return wanted

    def clean_hold_minutes(self):
        minutes = self.cleaned_data["hold_minutes"]
        if minutes is not None and not 5 <= minutes <= 1440:
            raise forms.ValidationError(_("Podaj od 5 do 1440 minut."))
        return minutes

    def clean_reminder_hours(self):
        hours = self.cleaned_data["reminder_hours"]
        if hours is not None and hours > 168:
            raise forms.ValidationError(_("Podaj najwyżej 168 godzin (7 dni)."))
        return hours

    def clean_cancel_cutoff_hours(self):
        hours = self.cleaned_data["cancel_cutoff_hours"]
        if hours is not None and hours > 720:
            raise forms.ValidationError(_("Podaj najwyżej 720 godzin (30 dni)."))
        return hours

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in SECTIONS]


@require_http_methods(["GET", "POST"])
@clinic_view("settings.change")
def registration_settings(request):
    current = settings_for(request.provider.pk)
    fields = RegistrationSettingsForm.Meta.fields
    before = audit.snapshot(current, fields)
    form = RegistrationSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            changed = audit.diff(before, audit.snapshot(saved, fields))
            if changed:
                record_audit(
                    provider_id=request.provider.pk,
                    action="settings.registration",
                    target=saved,
                    summary=gettext("Zmieniono ustawienia rejestracji on-line (%(n)d)") % {"n": len(changed)},
                    actor=request.user,
                    changes=changed,
                )
        messages.success(request, gettext("Zapisano ustawienia rejestracji on-line."))
        return redirect("clinic:registration-settings")
    warnings = []
    values = form.instance
    if values.one_visit_per_specialization and not values.pesel_required:
        warnings.append(
            _(
                "Blokada wielokrotnej rejestracji działa tylko dla pacjentów, którzy podadzą PESEL – "
                "zaznacz „PESEL wymagany”, aby obejmowała wszystkich."
            )
        )
    return render(
        request,
        "clinic/registration_settings.html",
        {"form": form, "warnings": warnings},
        status=422 if form.errors else 200,
    )
