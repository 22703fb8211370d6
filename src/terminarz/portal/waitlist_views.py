"""Portal side of the waiting list (F7): join, leave, accept an offered slot."""

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from terminarz.accounts.household import acting_account, contact_email
from terminarz.booking.errors import BookingRefused, InvalidBooking, SlotTaken
from terminarz.booking.validation import PatientDataForm
from terminarz.catalog.models import Specialization
from terminarz.core import clock
from terminarz.core.ids import parse_id
from terminarz.core.statemachine import TransitionRefused
from terminarz.patients.validation import email_field, name_field, phone_field
from terminarz.providers.models import Provider, settings_for
from terminarz.staff.models import Practitioner
from terminarz.waiting import services
from terminarz.waiting.models import WaitlistEntry


class JoinForm(forms.Form):
    first_name = name_field(_("Imię"), _("Podaj imię."))
    last_name = name_field(_("Nazwisko"), _("Podaj nazwisko."))
    email = email_field(required=True)
    phone = phone_field()
    before = forms.DateField(
        label=_("Interesuje mnie termin najpóźniej do"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("Puste – każdy wcześniejszy termin."),
    )

    def clean_before(self):
        before = self.cleaned_data.get("before")
        if before and before < clock.local_today():
            raise forms.ValidationError(gettext("Data nie może być z przeszłości."))
        return before


def _target(request):
    """What the patient waits for: a practitioner (?lekarz=) or a specialization at a provider."""
    practitioner_id = parse_id(request.GET.get("lekarz") or request.POST.get("lekarz"))
    if practitioner_id is not None:
        practitioner = (
            Practitioner.objects.filter(pk=practitioner_id, is_visible_online=True, provider__is_active=True)
            .select_related("provider")
            .first()
        )
        if practitioner is None:
            raise Http404
        return practitioner.provider, practitioner, None
    code = request.GET.get("specjalizacja") or request.POST.get("specjalizacja") or ""
    provider_id = parse_id(request.GET.get("placowka") or request.POST.get("placowka"))
    specialization = Specialization.objects.filter(code=code).first()
    provider = Provider.objects.filter(pk=provider_id, is_active=True).first() if provider_id is not None else None
    if specialization is None or provider is None:
        raise Http404
    return provider, None, specialization


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="20/h", method="POST", block=True)
def join(request):
    provider, practitioner, specialization = _target(request)
    account = acting_account(request)
    initial = {}
    if account is not None:
        profile = getattr(account, "patient_profile", None)
        initial = {
            "first_name": account.first_name,
            "last_name": account.last_name,
            "email": contact_email(account, request.user),
            "phone": profile.phone if profile else "",
        }
    form = JoinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        entry = services.join_waitlist(
            provider,
            practitioner=practitioner,
            specialization=specialization,
            before=form.cleaned_data.get("before"),
            data=form.cleaned_data,
            account=account,
        )
        return redirect(f"{reverse('waitlist-entry', args=[entry.pk])}?t={entry.token}&nowy=1")
    return render(
        request,
        "waiting/join.html",
        {"form": form, "provider": provider, "practitioner": practitioner, "specialization": specialization},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def entry_page(request, entry_id: int):
    token = request.POST.get("t") or request.GET.get("t", "")
    entry = get_object_or_404(
        WaitlistEntry.objects.select_related("provider", "practitioner", "specialization"), pk=entry_id
    )
    if not token or not entry.token_matches(token):
        raise Http404
    if request.method == "POST":
        services.leave_waitlist(entry)
        entry.refresh_from_db()
    return render(request, "waiting/entry.html", {"entry": entry, "token": token, "new": request.GET.get("nowy")})


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="30/h", method="POST", block=True)
def offer_page(request, token: str):
    try:
        offer = services.get_offer(token)
    except services.OfferNotFound:
        raise Http404 from None
    entry, slot = offer.entry, offer.slot
    rules = settings_for(slot.provider_id)
    requirement = slot.block.requirement_text if slot.block else ""
    initial = {"first_name": entry.first_name, "last_name": entry.last_name, "email": entry.email, "phone": entry.phone}
    form = PatientDataForm(
        request.POST or None,
        initial=initial,
        requirement_text=requirement,
        phone_required=rules.phone_required,
        pesel_required=rules.pesel_required,
    )
    problem = None
    now = clock.now()
    if entry.status == entry.Status.CANCELLED and offer.status != offer.Status.ACCEPTED:
        problem = "left"
    elif offer.status == offer.Status.GONE:
        problem = "gone"
    elif offer.status == offer.Status.EXPIRED or (offer.status == offer.Status.OFFERED and offer.expires_at <= now):
        problem = "expired"
    if request.method == "POST" and problem is None and form.is_valid():
        try:
            appointment = services.accept_offer(
                token, form.cleaned_data, now=now, language=translation.get_language() or settings.LANGUAGE_CODE
            )
        except services.OfferGone:
            problem = "gone"
        except services.OfferExpired:
            problem = "expired"
        except SlotTaken:
            problem = "gone"
        except BookingRefused as exc:
            form.add_error(None, exc.message)
        except InvalidBooking as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            confirmation = reverse("portal:confirmation", args=[appointment.pk])
            return redirect(f"{confirmation}?t={appointment.cancel_token}")
    status = 409 if problem == "gone" else 410 if problem in ("expired", "left") else 422 if form.errors else 200
    return render(
        request,
        "waiting/offer.html",
        {"offer": offer, "slot": slot, "form": form, "requirement": requirement, "problem": problem},
        status=status,
    )
