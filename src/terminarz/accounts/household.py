"""E4: a guardian's account and its dependents (sub-accounts); which one the guardian is
acting for right now (one click in the header switches)."""

from django.contrib.auth import get_user_model

ACTING_KEY = "acting_account_id"


def dependents(user) -> list:
    User = get_user_model()
    return list(User.objects.filter(patient_profile__guardian=user).order_by("first_name", "pk"))


def household(user) -> list:
    return [user, *dependents(user)]


def acting_account(request):
    """The account the signed-in patient acts for: their own or a dependent's."""
    user = request.user
    if not user.is_authenticated:
        return None
    wanted = request.session.get(ACTING_KEY)
    if wanted and wanted != user.pk:
        dependent = get_user_model().objects.filter(pk=wanted, patient_profile__guardian=user).first()
        if dependent is not None:
            return dependent
        request.session.pop(ACTING_KEY, None)
    return user


def contact_email(account, request_user) -> str:
    """Where a dependent's notices go: their own address once they have one, else the guardian's."""
    return account.email or request_user.email


def has_own_sign_in(user) -> bool:
    """An account its owner can sign in to: an e-mail address and a password of its own."""
    return bool(user.email) and user.has_usable_password()


def guardian_of(user):
    profile = getattr(user, "patient_profile", None)
    return profile.guardian if profile is not None else None
