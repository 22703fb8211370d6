"""Optional e-mail code as the patient's second sign-in factor (E2), next to allauth's TOTP:
an allauth login stage asks for a code sent to the account's e-mail (`factors.EmailDevice`, a
django-otp device keeping only a keyed hash of the code; the same mechanism as the staff's
e-mail factor)."""

from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.models import Authenticator

from terminarz.factors.models import EmailDevice
from terminarz.factors.services import send_email_code

STAGE_KEY = "terminarz_email_code"


def email_device(user) -> EmailDevice | None:
    return EmailDevice.objects.filter(user=user, confirmed=True).first()


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class EmailCodeStage(LoginStage):
    key = STAGE_KEY
    urlname = "account-login-code"

    def handle(self):
        user = self.login.user
        if user is None or has_totp(user):  # the app code (allauth.mfa) is asked instead
            return None, True
        device = email_device(user)
        if device is None:
            return None, True
        send_email_code(device, for_patient=True)
        return headed_redirect_response("account-login-code"), True


# E3 "Zmiana metody logowania": one second step at a time – the authenticator app, the e-mail
# code, or the password alone.
PASSWORD_ONLY, EMAIL_CODE, APP_CODE = "password", "email", "app"


def login_method(user) -> str:
    if has_totp(user):
        return APP_CODE
    return EMAIL_CODE if email_device(user) is not None else PASSWORD_ONLY


def drop_app_code(user) -> None:
    """The authenticator app and its recovery codes go (the e-mail code was chosen instead)."""
    Authenticator.objects.filter(user=user).delete()


def drop_email_code(user) -> None:
    EmailDevice.objects.filter(user=user).delete()


def app_code_added(sender, *, user, authenticator, **kwargs) -> None:
    """allauth's `authenticator_added`: choosing the app replaces the e-mail code."""
    if authenticator.type == Authenticator.Type.TOTP:
        drop_email_code(user)
