"""Patient sign-in form (E2). Its own module: allauth's forms module imports
terminarz.accounts.forms (ACCOUNT_SIGNUP_FORM_CLASS), so that one cannot import allauth's."""

from allauth.account.forms import LoginForm
from django import forms

from . import human_check


class PatientLoginForm(LoginForm):
    """allauth's sign-in form (ACCOUNT_FORMS["login"]) with the human check (E2) after repeated
    failures from this IP address or for the typed e-mail; the check runs before the password."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        typed = self.data.get("login") if self.is_bound else None
        if human_check.login_needs_check(self.request, typed):
            self._add_human_check()

    def _add_human_check(self) -> None:
        self.fields[human_check.FIELD_NAME] = human_check.HumanCheckField()

    def clean(self):
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if exc.code == "email_password_mismatch":
                typed = self.cleaned_data.get("login")
                human_check.record_login_failure(self.request, typed)
                if human_check.FIELD_NAME not in self.fields and human_check.login_needs_check(self.request, typed):
                    self._add_human_check()  # shown with the form again
            raise
        if self.user is not None:
            human_check.clear_account_failures(self.cleaned_data["login"])
        return cleaned
