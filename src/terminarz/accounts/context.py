"""Template context for patient pages: who the patient is acting for, and their household."""

from django.utils.functional import SimpleLazyObject

from .household import acting_account, household


def account(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "acting_account": SimpleLazyObject(lambda: acting_account(request)),
        "household": SimpleLazyObject(lambda: household(user)),
    }
