"""Staff accounts stay out of the patient area (/konto/): their sign-in, second factor and
e-mail are managed in the back-office, so patient pages must not change them. An insurer's
people (the desk at /ubezpieczyciel/) count as staff too; their memberships are reached by the
relation's name, so this app imports nothing from the insurers app."""

from django.shortcuts import render

OPEN_TO_ALL = ("/konto/logout/",)


def is_staff_account(user) -> bool:
    return bool(user.is_staff or user.is_superuser or user.memberships.exists() or user.insurer_memberships.exists())


class PatientAreaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if (
            path.startswith("/konto/")
            and not path.startswith(OPEN_TO_ALL)
            and request.user.is_authenticated
            and is_staff_account(request.user)
        ):
            return render(request, "accounts/staff_account.html", status=403)
        return self.get_response(request)
