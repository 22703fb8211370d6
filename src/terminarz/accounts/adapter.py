"""allauth glue: account e-mails go through the outbox (retries, demo mailbox); staff accounts
never get a patient-side password reset (their recovery stays with the provider admin)."""

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import UserTokenForm
from allauth.account.internal.flows.signup import send_unknown_account_mail
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction

from terminarz.notifications.services import queue_rendered_email


class AccountAdapter(DefaultAccountAdapter):
    def pre_login(self, request, user, **kwargs):
        """Staff sign in at the back-office (lockout and second factor are enforced there)."""
        from .guard import is_staff_account

        if is_staff_account(user):
            from django.shortcuts import render

            return render(request, "accounts/staff_account.html", status=403)
        return super().pre_login(request, user, **kwargs)

    def get_login_stages(self) -> list[str]:
        """allauth's stages (e-mail verification, TOTP), then our optional e-mail code."""
        return [*super().get_login_stages(), "terminarz.accounts.email_code.EmailCodeStage"]

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        """A staff e-mail is answered exactly like an unknown one: no reset link is ever sent."""
        from .guard import is_staff_account

        if is_staff_account(user):
            send_unknown_account_mail(context["request"], email)
            return
        super().send_password_reset_mail(user, email, context)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, ctx)
        html = next((content for content, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
        with transaction.atomic():
            queue_rendered_email(
                kind="account:" + template_prefix.rsplit("/", 1)[-1],
                recipient=email,
                subject=message.subject,
                body=message.body,
                html_body=str(html),
                idempotency_key=f"account:{secrets.token_hex(12)}",
            )


class PatientUserTokenForm(UserTokenForm):
    """The reset-key page (``ACCOUNT_FORMS["user_token"]``): a key issued for a staff account
    (or before the person became staff) is treated as invalid, so the password is never set."""

    def _get_user(self, uidb36):
        from .guard import is_staff_account

        user = super()._get_user(uidb36)
        if user is not None and is_staff_account(user):
            return None
        return user
