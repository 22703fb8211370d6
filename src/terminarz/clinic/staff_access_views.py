"""Staff accounts and permissions (B1): a provider admin adds staff, sets roles and single
permissions. Only memberships of the admin's own provider are ever touched."""

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.password_validation import validate_password
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from terminarz.accounts.models import User
from terminarz.factors import services as factor_services
from terminarz.providers import staff_access
from terminarz.providers.models import Membership
from terminarz.providers.permissions import PERMISSIONS, ROLE_PERMISSIONS

from .access import clinic_view, get_for_provider

PERMISSION_CHOICES = [(code, label) for code, label in PERMISSIONS.items()]


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("Rola"), choices=Membership.Role.choices)
    permissions = forms.MultipleChoiceField(
        label=_("Uprawnienia"),
        choices=PERMISSION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Domyślnie zaznaczone są uprawnienia roli; zmiany zapisują się jako wyjątki dla tej osoby."),
    )


class NewStaffForm(MembershipForm):
    username = forms.CharField(label=_("Nazwa użytkownika"), max_length=150)
    first_name = forms.CharField(label=_("Imię"), max_length=150)
    last_name = forms.CharField(label=_("Nazwisko"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    password = forms.CharField(label=_("Hasło tymczasowe"), widget=forms.PasswordInput, strip=False)

    field_order = ["username", "first_name", "last_name", "email", "password", "role", "permissions"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Ta nazwa użytkownika jest zajęta."))
        return username

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


@clinic_view("staff.change")
def staff_accounts(request):
    memberships = list(
        Membership.objects.filter(provider=request.provider).select_related("user").order_by("user__username")
    )
    locked = set(
        AccessAttempt.objects.filter(
            username__in=[m.user.username for m in memberships], failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        ).values_list("username", flat=True)
    )
    user_ids = [m.user_id for m in memberships]
    with_2fa = {
        user_id: label
        for model, label in factor_services.METHOD_LABELS.items()
        for user_id in model.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True)
    }
    for m in memberships:
        m.locked = m.user.username in locked  # type: ignore[attr-defined]
        m.second_factor = with_2fa.get(m.user_id, "")  # type: ignore[attr-defined]
    return render(
        request,
        "clinic/staff_accounts.html",
        {
            "memberships": memberships,
            "security_form": SecurityForm(initial={"require_2fa": request.provider.require_staff_2fa}),
            "lock_limit": settings.AXES_FAILURE_LIMIT,
            "lock_minutes": round(settings.AXES_COOLOFF_TIME * 60),
        },
    )


class SecurityForm(forms.Form):
    require_2fa = forms.BooleanField(
        label=_("Wymagaj logowania dwuskładnikowego od całego personelu"),
        required=False,
        help_text=_(
            "Po włączeniu każde logowanie wymaga kodu z aplikacji uwierzytelniającej albo z e-maila. "
            "Osoby bez drugiego składnika zostaną poproszone o jego włączenie przy następnym wejściu."
        ),
    )


@require_POST
@clinic_view("staff.change")
def staff_security(request):
    form = SecurityForm(request.POST)
    form.is_valid()
    wanted = bool(form.cleaned_data.get("require_2fa"))
    if staff_access.set_staff_2fa_required(request.provider, wanted, actor=request.user):
        messages.success(
            request,
            gettext("Logowanie dwuskładnikowe jest teraz wymagane od personelu.")
            if wanted
            else gettext("Logowanie dwuskładnikowe nie jest już wymagane."),
        )
    return redirect("clinic:staff-accounts")


@require_POST
@clinic_view("staff.change")
def staff_2fa_reset(request, membership_id: int):
    """A lost phone or mailbox: remove the person's second factor so they can set a new one."""
    membership = get_for_provider(Membership.objects.select_related("user"), request.provider, membership_id)
    try:
        reset = staff_access.reset_second_factor(membership, actor=request.user, reset=factor_services.reset_for)
    except staff_access.StaffAccessError as exc:
        messages.error(request, exc.message)
        return redirect("clinic:staff-accounts")
    if reset:
        messages.success(
            request,
            gettext(
                "Zresetowano drugi składnik konta %(username)s. Przy następnym logowaniu ta osoba ustawi go od nowa."
            )
            % {"username": membership.user.username},
        )
    return redirect("clinic:staff-accounts")


@require_POST
@clinic_view("staff.change")
def staff_account_unlock(request, membership_id: int):
    membership = get_for_provider(Membership.objects.select_related("user"), request.provider, membership_id)
    try:
        staff_access.unlock_staff(membership, actor=request.user)
    except staff_access.StaffAccessError as exc:
        messages.error(request, exc.message)
        return redirect("clinic:staff-accounts")
    messages.success(request, gettext("Odblokowano konto %(username)s.") % {"username": membership.user.username})
    return redirect("clinic:staff-accounts")


@require_http_methods(["GET", "POST"])
@clinic_view("staff.change")
def staff_account_create(request):
    form = NewStaffForm(
        request.POST or None, initial={"role": "registrar", "permissions": sorted(ROLE_PERMISSIONS["registrar"])}
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        membership = staff_access.add_staff(
            request.provider,
            actor=request.user,
            username=c["username"],
            email=c["email"],
            password=c["password"],
            first_name=c["first_name"],
            last_name=c["last_name"],
            role=c["role"],
            permissions=c["permissions"],
        )
        messages.success(
            request,
            gettext("Dodano konto %(username)s. Przekaż hasło tymczasowe bezpiecznym kanałem.")
            % {"username": membership.user.username},
        )
        return redirect("clinic:staff-accounts")
    return render(request, "clinic/staff_account_form.html", {"form": form}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@clinic_view("staff.change")
def staff_account_edit(request, membership_id: int):
    membership = get_for_provider(Membership.objects.select_related("user"), request.provider, membership_id)
    initial = {"role": membership.role, "permissions": sorted(membership.permissions)}
    form = MembershipForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            staff_access.change_permissions(
                membership,
                actor=request.user,
                role=form.cleaned_data["role"],
                permissions=form.cleaned_data["permissions"],
            )
        except staff_access.StaffAccessError as exc:
            form.add_error("permissions", exc.message)
        else:
            messages.success(request, gettext("Zapisano uprawnienia."))
            return redirect("clinic:staff-accounts")
    return render(
        request,
        "clinic/staff_account_form.html",
        {"form": form, "membership": membership},
        status=422 if form.errors else 200,
    )


@require_POST
@clinic_view("staff.change")
def staff_account_remove(request, membership_id: int):
    membership = get_for_provider(Membership.objects.select_related("user"), request.provider, membership_id)
    try:
        staff_access.remove_staff(membership, actor=request.user)
    except staff_access.StaffAccessError as exc:
        messages.error(request, exc.message)
        return redirect("clinic:staff-accounts")
    messages.success(request, gettext("Odebrano dostęp do placówki."))
    return redirect("clinic:staff-accounts")
