"""E4: dependents (sub-accounts): add a new one, attach an existing account by its
credentials, switch between accounts, hand an account over to a dependent aged 16+."""

import datetime as dt
import uuid

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from terminarz.accounts.forms import AttachAccountForm, HandOverForm, NewDependentForm
from terminarz.accounts.household import ACTING_KEY, dependents, guardian_of, has_own_sign_in
from terminarz.accounts.models import PatientProfile
from terminarz.core import clock
from terminarz.core.ids import parse_id
from terminarz.notifications.services import queue_rendered_email
from terminarz.patients.pesel import age_on

from .account_views import patient_view

TAKE_OVER_AGE = 16


def age(profile: PatientProfile | None, today: dt.date) -> int | None:
    if profile is None or profile.birth_date is None:
        return None
    return age_on(profile.birth_date, today)


def _has_second_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    from terminarz.factors.models import EmailDevice

    return (
        Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        or EmailDevice.objects.filter(user=user, confirmed=True).exists()
    )


def _can_be_dependent(candidate, guardian) -> bool:
    if candidate.pk == guardian.pk or candidate.is_staff or candidate.memberships.exists():
        return False
    if PatientProfile.objects.filter(guardian=candidate).exists():
        return False  # a guardian cannot become someone's sub-account
    profile = getattr(candidate, "patient_profile", None)
    return profile is None or profile.guardian_id in (None, guardian.pk)


@require_http_methods(["GET", "POST"])
@patient_view
@ratelimit(key="user", rate="10/h", method="POST", block=False)
def dependents_page(request):
    user = request.user
    action = request.POST.get("action")
    new_form = NewDependentForm(request.POST if action == "new" else None)
    attach_form = AttachAccountForm(request.POST if action == "attach" else None)
    if action == "new" and new_form.is_valid():
        c = new_form.cleaned_data
        User = get_user_model()
        with transaction.atomic():
            dependent = User.objects.create_user(
                f"podopieczny-{uuid.uuid4().hex[:16]}",
                "",
                None,
                first_name=c["first_name"],
                last_name=c["last_name"],
            )
            PatientProfile.objects.create(
                user=dependent,
                guardian=user,
                pesel=c.get("pesel") or "",
                uses_guardian_pesel=bool(c.get("uses_guardian_pesel")),
                birth_date=c.get("birth_date"),
                dependent_reason=c["reason"],
            )
        messages.success(
            request,
            gettext("Utworzono subkonto: %(name)s.") % {"name": f"{dependent.first_name} {dependent.last_name}"},
        )
        return redirect("account-dependents")
    if action == "attach" and attach_form.is_valid():
        if getattr(request, "limited", False):
            attach_form.add_error(None, gettext("Zbyt wiele prób. Spróbuj ponownie za godzinę."))
        else:
            email = attach_form.cleaned_data["email"].strip().lower()
            # authenticate(): the sign-in lockout counts these attempts like any other.
            candidate = authenticate(request, email=email, password=attach_form.cleaned_data["password"])
            if candidate is None or not _can_be_dependent(candidate, user):
                attach_form.add_error(None, gettext("Nieprawidłowy adres e-mail lub hasło konta podopiecznego."))
            elif _has_second_factor(candidate):
                attach_form.add_error(
                    None,
                    gettext(
                        "To konto ma włączone logowanie dwuskładnikowe. Jego właściciel musi je najpierw wyłączyć."
                    ),
                )
            else:
                with transaction.atomic():
                    profile, _ = PatientProfile.objects.get_or_create(user=candidate)
                    profile.guardian = user
                    profile.dependent_reason = profile.dependent_reason or "adult_care"
                    profile.save()
                    queue_rendered_email(
                        kind="account:attached",
                        recipient=candidate.email,
                        subject=gettext("Terminarz – Twoje konto dołączono jako subkonto"),
                        body=gettext(
                            "Dzień dobry,\n\n%(guardian)s dołączył(a) Twoje konto pacjenta "
                            "jako subkonto i może umawiać wizyty w Twoim imieniu oraz widzieć je w swoim panelu.\n\n"
                            "Jeśli to nie Ty podałeś(-aś) hasło, natychmiast zmień hasło i skontaktuj się z nami.\n\n"
                            "Wiadomość wysłana automatycznie przez Terminarz."
                        )
                        % {"guardian": f"{user.first_name} {user.last_name}"},
                        html_body="",
                        idempotency_key=f"account:attached:{candidate.pk}:{user.pk}:{clock.now().isoformat()}",
                    )
                messages.success(
                    request,
                    gettext("Dołączono konto %(name)s jako subkonto.")
                    % {"name": f"{candidate.first_name} {candidate.last_name}"},
                )
                return redirect("account-dependents")
    if action == "detach":
        chosen = next((d for d in dependents(user) if d.pk == parse_id(request.POST.get("dependent"))), None)
        if chosen is None:
            raise Http404
        dependent = chosen
        if not has_own_sign_in(dependent):
            messages.error(
                request,
                gettext(
                    "Subkonto %(name)s nie ma własnego logowania, więc po odłączeniu nikt nie mógłby nim "
                    "zarządzać. Osobie, która skończyła 16 lat, przekaż konto – wtedy przestaniesz nim zarządzać."
                )
                % {"name": f"{dependent.first_name} {dependent.last_name}"},
            )
            return redirect("account-dependents")
        _end_care(dependent, guardian=user, by_guardian=True)
        if request.session.get(ACTING_KEY) == dependent.pk:
            request.session.pop(ACTING_KEY, None)
        messages.success(
            request,
            gettext("Odłączono konto %(name)s – jego właściciel zarządza nim sam.")
            % {"name": f"{dependent.first_name} {dependent.last_name}"},
        )
        return redirect("account-dependents")
    own_guardian = guardian_of(user)
    if action == "leave" and own_guardian is not None:
        _end_care(user, guardian=own_guardian, by_guardian=False)
        messages.success(request, gettext("Twoje konto nie jest już subkontem – zarządzasz nim sam(a)."))
        return redirect("account-dependents")
    today = clock.local_today()
    people = [(d, age(getattr(d, "patient_profile", None), today)) for d in dependents(user)]
    invalid = bool(action and (new_form.errors or attach_form.errors))
    return render(
        request,
        "accounts/dependents.html",
        {
            "people": people,
            "new_form": new_form,
            "attach_form": attach_form,
            "hand_over_form": HandOverForm(),
            "take_over_age": TAKE_OVER_AGE,
            "own_guardian": own_guardian,
        },
        status=422 if invalid else 200,
    )


def _end_care(dependent, *, guardian, by_guardian: bool) -> None:
    """E4 "odłączanie subkont": an account with its own sign-in stops being a sub-account and is
    managed by its owner alone; the other side hears of it by e-mail."""
    with transaction.atomic():
        PatientProfile.objects.filter(user=dependent, guardian=guardian).update(guardian=None, dependent_reason="")
        dependent_name = f"{dependent.first_name} {dependent.last_name}"
        guardian_name = f"{guardian.first_name} {guardian.last_name}"
        if by_guardian:
            recipient = dependent.email
            body = gettext(
                "Dzień dobry,\n\n%(guardian)s odłączył(a) Twoje konto pacjenta od swojego konta. Nie zarządza "
                "już Twoimi wizytami – zarządzasz nimi sam(a), logując się swoim adresem e-mail i hasłem.\n\n"
                "Wiadomość wysłana automatycznie przez Terminarz."
            ) % {"guardian": guardian_name}
        else:
            recipient = guardian.email
            body = gettext(
                "Dzień dobry,\n\n%(dependent)s odłączył(a) swoje konto pacjenta od Twojego konta. Nie zarządzasz "
                "już tym kontem ani jego wizytami.\n\nWiadomość wysłana automatycznie przez Terminarz."
            ) % {"dependent": dependent_name}
        if recipient:
            queue_rendered_email(
                kind="account:detached",
                recipient=recipient,
                subject=gettext("Terminarz – subkonto odłączone"),
                body=body,
                html_body="",
                idempotency_key=f"account:detached:{dependent.pk}:{guardian.pk}:{clock.now().isoformat()}",
            )


@require_POST
@patient_view
def switch_account(request):
    """One click: act for yourself or for one of your dependents."""
    wanted = parse_id(request.POST.get("account"))
    if wanted is not None and wanted in {d.pk for d in dependents(request.user)}:
        request.session[ACTING_KEY] = wanted
    else:
        request.session.pop(ACTING_KEY, None)
    next_url = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("account-panel")


@require_POST
@patient_view
def hand_over(request, dependent_id: int):
    """A dependent aged 16+ takes their account over: an invitation to set their own password."""
    dependent = next((d for d in dependents(request.user) if d.pk == dependent_id), None)
    if dependent is None:
        raise Http404
    form = HandOverForm(request.POST)
    years = age(dependent.patient_profile, clock.local_today())
    if years is None or years < TAKE_OVER_AGE:
        messages.error(
            request,
            ngettext(
                "Konto można przekazać podopiecznemu, który skończył %(age)d rok.",
                "Konto można przekazać podopiecznemu, który skończył %(age)d lat.",
                TAKE_OVER_AGE,
            )
            % {"age": TAKE_OVER_AGE},
        )
        return redirect("account-dependents")
    if not form.is_valid():
        messages.error(request, gettext("Podaj poprawny adres e-mail podopiecznego."))
        return redirect("account-dependents")
    email = form.cleaned_data["email"].strip().lower()
    User = get_user_model()
    if (
        User.objects.filter(email__iexact=email).exclude(pk=dependent.pk).exists()
        or EmailAddress.objects.filter(email__iexact=email).exclude(user=dependent).exists()
    ):
        messages.error(request, gettext("Tego adresu nie można użyć. Podaj inny adres podopiecznego."))
        return redirect("account-dependents")
    with transaction.atomic():
        dependent.email = email
        dependent.save(update_fields=["email"])
        uid = urlsafe_base64_encode(force_bytes(dependent.pk))
        token = default_token_generator.make_token(dependent)
        link = request.build_absolute_uri(reverse("account-take-over", args=[uid, token]))
        queue_rendered_email(
            kind="account:take_over",
            recipient=email,
            subject=gettext("Terminarz – przejmij swoje konto pacjenta"),
            body=gettext(
                "Dzień dobry %(first_name)s,\n\n"
                "%(guardian)s przekazuje Ci Twoje konto pacjenta w Terminarzu. "
                "Aby je przejąć, ustaw własne hasło:\n%(link)s\n\n"
                "Po przejęciu konta opiekun nie będzie już nim zarządzać.\n\n"
                "Wiadomość wysłana automatycznie przez Terminarz."
            )
            % {
                "first_name": dependent.first_name,
                "guardian": f"{request.user.first_name} {request.user.last_name}",
                "link": link,
            },
            html_body="",
            idempotency_key=f"account:take_over:{dependent.pk}:{token}",
        )
    messages.success(request, gettext("Wysłaliśmy zaproszenie na adres %(email)s.") % {"email": email})
    return redirect("account-dependents")


@require_http_methods(["GET", "POST"])
def take_over(request, uidb64: str, token: str):
    """The dependent sets their own password and the guardian's management ends."""
    User = get_user_model()
    try:
        dependent = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        dependent = None
    if dependent is None or not default_token_generator.check_token(dependent, token):
        return render(request, "accounts/take_over_invalid.html", status=404)
    form = SetPasswordForm(dependent, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                form.save()
                PatientProfile.objects.filter(user=dependent).update(guardian=None, dependent_reason="")
                EmailAddress.objects.filter(user=dependent).delete()
                EmailAddress.objects.create(user=dependent, email=dependent.email, verified=True, primary=True)
        except IntegrityError:
            form.add_error(
                None, gettext("Ten adres e-mail jest już używany. Poproś opiekuna o zaproszenie na inny adres.")
            )
        else:
            messages.success(request, gettext("Konto jest teraz Twoje. Zaloguj się adresem e-mail i nowym hasłem."))
            return redirect("account_login")
    return render(
        request, "accounts/take_over.html", {"form": form, "dependent": dependent}, status=422 if form.errors else 200
    )
