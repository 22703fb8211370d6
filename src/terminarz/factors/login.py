"""The staff sign-in pages (back-office, insurer's desk, operator's desk) share one view: the
password, then – when the person has a factor – the code page of `policy` before anything
else; a session still owing the code is sent there rather than shown the password form again."""

from django.contrib.auth import views as auth_views
from django.shortcuts import redirect

from . import policy

CODE_PAGE = "clinic:2fa-verify"


class LoginWithFactor(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        found = super().get_redirect_url(*args, **kwargs)
        return "" if found.split("?")[0] == self.request.path else found  # never back to this page

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.session.get(policy.PENDING_KEY):
            return redirect(CODE_PAGE)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        if policy.start_after_password(self.request, form.get_user(), self.get_success_url()):
            return redirect(CODE_PAGE)
        return response
