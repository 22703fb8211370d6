"""A visit an insurer booked, in the visit view (G7, G8; seed 001 §12): the payer and its
note, the referrals received and sent, and "Skierowanie wysyłane" – issue date, validity, one
service of the payer's price list, one per visit – delivered to the insurer."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from terminarz.booking.models import Appointment
from terminarz.insurers import referrals
from terminarz.insurers.models import PayerBooking, Referral

from . import scope
from .access import clinic_view

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class ReferralForm(forms.Form):
    issued_on = forms.DateField(
        label=_("Data wystawienia"), widget=DATE, error_messages={"required": _("Podaj datę wystawienia.")}
    )
    valid_until = forms.DateField(
        label=_("Data ważności"), widget=DATE, error_messages={"required": _("Podaj datę ważności.")}
    )
    service = forms.TypedChoiceField(label=_("Usługa z cennika płatnika"), coerce=int)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.services = {s.pk: s for s in services}
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("– wybierz –"))] + [(s.pk, s.name) for s in services]


def payer_panel_context(appointment: Appointment, membership, *, referral_form=None) -> dict:
    found = PayerBooking.objects.filter(appointment=appointment).select_related("insurer", "service").first()
    if found is None:
        return {}
    sent_already = Referral.objects.filter(appointment=appointment, direction=Referral.Direction.SENT).exists()
    context: dict[str, object] = {
        "payer_booking": found,
        "referrals": list(Referral.objects.filter(appointment=appointment).select_related("service")),
    }
    if membership.has_permission("visits.change") and not sent_already and referrals.can_send(appointment):
        context["referral_form"] = referral_form or ReferralForm(services=referrals.payer_services(found))
    return context


@require_POST
@clinic_view("visits.change")
def send_referral(request, appointment_id: int):
    appointment = scope.get_appointment(request, Appointment.objects.all(), appointment_id)
    found = PayerBooking.objects.filter(appointment=appointment).first()
    if found is None:
        messages.error(request, gettext("Skierowanie wysyła się tylko z wizyty umówionej przez ubezpieczyciela."))
        return redirect("clinic:visit", appointment_id=appointment.pk)
    form = ReferralForm(request.POST, services=referrals.payer_services(found))
    if form.is_valid():
        c = form.cleaned_data
        try:
            referrals.send(
                appointment,
                issued_on=c["issued_on"],
                valid_until=c["valid_until"],
                service=form.services[c["service"]],
                actor=request.user,
            )
        except referrals.ReferralError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("Skierowanie zostało wysłane do ubezpieczyciela."))
    else:
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, gettext("Skierowanie nie zostało wysłane: %(why)s") % {"why": " ".join(problems)})
    return redirect("clinic:visit", appointment_id=appointment.pk)
