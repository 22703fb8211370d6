"""Back-office (clinic) views: thin, every one behind clinic_view(permission)."""

import datetime as dt
from collections import OrderedDict

from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from terminarz.booking import visits
from terminarz.booking.models import ACTIVE_STATUSES
from terminarz.core import clock
from terminarz.core.ids import parse_id
from terminarz.core.models import AuditEntry
from terminarz.factors.login import LoginWithFactor
from terminarz.providers.models import Membership

from . import scope
from .access import SESSION_KEY, clinic_view
from .forms import AuditFilterForm
from .menu import menu_for


class LoginView(LoginWithFactor):
    template_name = "clinic/login.html"
    next_page = "clinic:home"


class LogoutView(auth_views.LogoutView):
    next_page = "clinic:login"


def no_access(request):
    """No active provider for this person: a suspended provider's staff are told why."""
    suspended = []
    if request.user.is_authenticated:
        suspended = [
            m.provider
            for m in Membership.objects.filter(user=request.user, provider__is_active=False).select_related("provider")
        ]
    return render(request, "clinic/no_access.html", {"suspended": suspended}, status=403)


@require_POST
@clinic_view("")  # any member may switch between their providers
def switch_provider(request):
    wanted = parse_id(request.POST.get("provider"))
    if wanted is not None and Membership.objects.filter(user=request.user, provider_id=wanted).exists():
        request.session[SESSION_KEY] = wanted
    return redirect("clinic:home")


def _day(request) -> dt.date:
    return clock.parse_day(request.GET.get("dzien"))


@clinic_view("calendar.view")
def today(request):
    day = _day(request)
    appointments = (
        scope.visible_appointments(request.membership)
        .filter(start__date=day, status__in=[*ACTIVE_STATUSES, *visits.OUTCOMES])
        .select_related("practitioner", "unit")
        .order_by("practitioner__last_name", "practitioner_id", "start")
    )
    by_practitioner: OrderedDict = OrderedDict()
    for appointment in appointments:
        by_practitioner.setdefault(appointment.practitioner, []).append(appointment)
    scope.audit_calendars_read(
        request, [p.pk for p in by_practitioner], gettext("wizyty dnia %(day)s") % {"day": f"{day:%d.%m.%Y}"}
    )
    return render(
        request,
        "clinic/today.html",
        {
            "day": day,
            "by_practitioner": by_practitioner,
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
        },
    )


@clinic_view("audit.view")
def audit_log(request):
    form = AuditFilterForm(request.GET or None, provider=request.provider)
    entries = AuditEntry.objects.filter(provider=request.provider).select_related("actor")
    if form.is_valid():
        entries = form.apply(entries)
    page = Paginator(entries, 50).get_page(request.GET.get("strona"))
    params = request.GET.copy()
    params.pop("strona", None)
    return render(request, "clinic/audit.html", {"form": form, "page": page, "params": params.urlencode()})


@clinic_view("")
def home(request):
    """/gabinet/: the day's visits for those who keep a calendar, else the first page of the
    menu the person may open (finance staff land on their own work, not on a 403)."""
    if request.membership.has_permission("calendar.view"):
        return redirect("clinic:today")
    menu = menu_for(request.membership.permissions, superuser=request.user.is_superuser, current="")
    if menu:
        return redirect(menu[0].entries[0].url)
    raise PermissionDenied("no page")


def clinic_context(request) -> dict:
    """Template context for clinic pages: the provider switcher and what the user may open."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    memberships = Membership.objects.filter(user=request.user, provider__is_active=True).select_related("provider")
    match = getattr(request, "resolver_match", None)
    return {
        "clinic_provider": request.provider,
        "clinic_providers": [m.provider for m in memberships],
        "clinic_perms": membership.permissions,
        "clinic_menu": menu_for(
            membership.permissions, superuser=request.user.is_superuser, current=match.url_name if match else ""
        ),
    }


def locked_out(request, credentials, *args, **kwargs):
    """The lockout page (django-axes): the patients' one for patient sign-in, else the staff's."""
    if request.path.startswith("/konto/"):
        from django.conf import settings

        minutes = round(settings.AXES_COOLOFF_TIME * 60)
        return render(request, "accounts/locked.html", {"minutes": minutes}, status=429)
    return render(request, "clinic/locked_out.html", status=429)
