"""Error pages (403, 404, 429, CSRF failure, 500) in the product's design, in Polish.

A page under /gabinet/ wears the back-office frame, any other the patient portal's. The 500
page is self-contained: it renders without the request context (no database, no session),
because whatever failed may be exactly that."""

from django.http import HttpResponse, HttpResponsePermanentRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme

CLINIC_PREFIX = "/gabinet/"


def _frame(request) -> str:
    return "clinic/base.html" if request.path.startswith(CLINIC_PREFIX) else "portal/base.html"


def _page(request, template: str, status: int) -> HttpResponse:
    return render(request, template, {"frame": _frame(request)}, status=status)


def not_found(request, exception=None) -> HttpResponse:
    return _page(request, "errors/404.html", 404)


def forbidden(request, exception=None) -> HttpResponse:
    return _page(request, "errors/403.html", 403)


def csrf_failure(request, reason: str = "") -> HttpResponse:
    """The form's page to open again: where the form came from when that is this site (a
    POST-only address would answer 405), else the start page of the frame."""
    referer = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        referer = ""
    home = "/gabinet/" if request.path.startswith(CLINIC_PREFIX) else "/"
    return render(request, "errors/403_csrf.html", {"frame": _frame(request), "back": referer or home}, status=403)


def too_many_requests(request, exception=None) -> HttpResponse:
    return _page(request, "errors/429.html", 429)


def server_error(request) -> HttpResponse:
    return HttpResponseServerError(loader.get_template("errors/500.html").render())


def favicon(request) -> HttpResponse:
    """Browsers ask for /favicon.ico; the icon is the static SVG (its hashed name is looked up
    per request, so a missing static manifest never breaks the URL configuration)."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))
