"""Public portal (D1, D2, D3, D7 basic). Thin views: validate, call a service, render."""

import datetime as dt
import mimetypes
import re
import secrets
from collections import OrderedDict

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from terminarz.accounts.household import acting_account, contact_email
from terminarz.booking import pipeline
from terminarz.booking import services as booking
from terminarz.booking.errors import (
    AppointmentNotFound,
    BookingRefused,
    ConsentWithdrawn,
    InvalidBooking,
    SlotNotOffered,
    SlotTaken,
)
from terminarz.booking.ics import appointment_ics
from terminarz.booking.models import Source
from terminarz.booking.validation import PatientDataForm
from terminarz.catalog.dictionaries import REFERRAL_FREE
from terminarz.catalog.models import Specialization
from terminarz.core import clock
from terminarz.legal import services as legal
from terminarz.legal.models import TermsDocument
from terminarz.payments.models import Payment
from terminarz.payments.policies import PaymentDeadlineRefused
from terminarz.portal.search_cards import search_cards
from terminarz.providers.models import Location, Provider, Unit, settings_for
from terminarz.scheduling.forms import MAX_DATE, MIN_DATE, SlotSearchForm
from terminarz.scheduling.models import Slot
from terminarz.scheduling.search import SlotQuery, filter_choices, open_slots
from terminarz.staff.models import Practitioner

CARD_DAYS = 7


def _rate(setting):
    return lambda group, request: getattr(settings, setting)


# Query parameters the search form has no control for (links and the API set them): their
# errors are listed above the form, and valid ones are kept while the patient fixes the rest.
HIDDEN_SEARCH_FIELDS = ("unit", "practitioner", "limit", "cursor")


@ratelimit(key="ip", rate=_rate("RATELIMIT_SEARCH"), method="GET", block=True)
def search(request):
    """D1 around doctors: a free-text box (doctor, specialization, clinic, city), filters
    folded away, and one card per practitioner with a week of free slots."""
    params = request.GET.copy()
    text = params.pop("q", [""])[-1].replace("\x00", "").strip()[:100]
    week_param = params.pop("tydzien", [""])[-1]
    page_param = params.pop("strona", ["1"])[-1]
    text_filter = _apply_text(text, params) if text else ""
    form = SlotSearchForm(params or None)
    invalid = form.is_bound and not form.is_valid()
    query = form.to_query() if form.is_bound and not invalid else SlotQuery()
    try:
        week = dt.date.fromisoformat(week_param) if week_param else None
    except ValueError:
        week = None
    if week is not None and not (MIN_DATE <= week <= MAX_DATE):
        week = None
    page = int(page_param) if page_param.isascii() and page_param.isdigit() and len(page_param) <= 6 else 1
    results = search_cards(query, text=text_filter, week=week, page=page)
    hidden_errors = [
        (form.fields[name].label, form.errors[name]) for name in HIDDEN_SEARCH_FIELDS if name in form.errors
    ]
    kept_hidden = [
        (name, form.data[name])
        for name in ("unit", "practitioner", "limit")
        if invalid and form.data.get(name) and name not in form.errors
    ]
    kept = request.GET.copy()
    for name in ("tydzien", "strona"):
        kept.pop(name, None)
    filters = [name for name in FILTER_FIELDS if request.GET.get(name)]
    context = {
        "form": form,
        "text": text,
        "invalid": invalid,
        "hidden_errors": hidden_errors,
        "kept_hidden": kept_hidden,
        "results": results,
        "week_query": f"{kept.urlencode()}&" if kept else "",
        "filter_count": len(filters),
        "filters_open": invalid or bool(filters),
        "specializations": Specialization.objects.filter(practitioners__is_visible_online=True).distinct(),
        "cities": Location.objects.filter(is_visible=True, provider__is_active=True)
        .order_by("city")
        .values_list("city", flat=True)
        .distinct(),
        "providers": Provider.objects.filter(is_active=True),
        "choices": filter_choices(),
    }
    response = render(request, "portal/_search_results.html" if request.htmx else "portal/search.html", context)
    # The same address answers the whole page or only the results (htmx): caches keep both.
    patch_vary_headers(response, ["HX-Request"])
    return response


FILTER_FIELDS = (
    "specialization",
    "city",
    "provider",
    "service",
    "visit_type",
    "financing",
    "payer",
    "language",
    "visit_kind",
    "date_from",
    "date_to",
)


def _apply_text(text: str, params) -> str:
    """The free-text box: a specialization, city or clinic named in it becomes that filter
    (unless the filter is set already); anything else narrows the cards to doctors whose name
    contains it. Returns the name filter ("" when the text named a filter)."""
    wanted = text.casefold()
    for spec in Specialization.objects.all():
        if spec.name.casefold() == wanted or spec.code == wanted:
            _set_unless_chosen(params, "specialization", spec.code)
            return ""
    for city in Location.objects.filter(is_visible=True).values_list("city", flat=True).distinct():
        if city.casefold() == wanted:
            _set_unless_chosen(params, "city", city)
            return ""
    for provider in Provider.objects.filter(is_active=True, name__iexact=text):
        _set_unless_chosen(params, "provider", str(provider.pk))
        return ""
    return text


def _set_unless_chosen(params, name: str, value: str) -> None:
    """The form sends every filter, empty ones too: an empty one takes the free text's value."""
    if not params.get(name):
        params[name] = value


def practitioner_photo(request, pk: int):
    """The practitioner's photo (uploaded in the back-office), for visible practitioners only."""
    practitioner = get_object_or_404(Practitioner, pk=pk, is_visible_online=True, provider__is_active=True)
    if not practitioner.photo:
        raise Http404
    try:
        handle = practitioner.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(practitioner.photo.name or "")[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def practitioner_card(request, pk: int):
    practitioner = get_object_or_404(
        Practitioner.objects.select_related("provider").prefetch_related(
            "specializations",
            # only units the portal shows: visible, at a visible (so approved) location
            Prefetch(
                "units",
                queryset=Unit.objects.filter(is_visible=True, location__is_visible=True).select_related("location"),
            ),
        ),
        pk=pk,
        is_visible_online=True,
        provider__is_active=True,
    )
    today = clock.local_today()
    try:
        start = dt.date.fromisoformat(request.GET.get("od", "")) if request.GET.get("od") else today
    except ValueError:
        start = today
    start = min(max(start, today), MAX_DATE - dt.timedelta(days=CARD_DAYS))
    days = [start + dt.timedelta(days=i) for i in range(CARD_DAYS)]
    slots = list(
        open_slots(clock.now())
        .filter(practitioner=practitioner, day__gte=days[0], day__lte=days[-1])
        .select_related("unit__location")
        .order_by("start")
    )
    columns: OrderedDict[dt.date, list[Slot]] = OrderedDict((d, []) for d in days)
    for slot in slots:
        columns[slot.day].append(slot)
    next_slot = (
        open_slots(clock.now()).filter(practitioner=practitioner, day__gt=days[-1]).order_by("start").first()
        if not slots
        else None
    )
    context = {
        "practitioner": practitioner,
        "columns": columns,
        "prev_day": days[0] - dt.timedelta(days=CARD_DAYS) if days[0] > today else None,
        "next_day": days[-1] + dt.timedelta(days=1),
        "next_slot": next_slot,
        "first_slot": slots[0] if slots else None,
    }
    return render(request, "portal/practitioner.html", context)


def provider_card(request, pk: int):
    provider = get_object_or_404(Provider, pk=pk, is_active=True)
    locations = provider.locations.filter(is_visible=True).prefetch_related("units__opening_hours")
    practitioners = list(
        provider.practitioners.filter(is_visible_online=True).prefetch_related("specializations", "units")
    )
    by_unit: list[tuple[object, list[Practitioner]]] = []
    if settings_for(provider.pk).group_by_units:
        units = Unit.objects.filter(provider=provider, is_visible=True, location__is_visible=True).order_by("name")
        for unit in units:
            members = [p for p in practitioners if unit in p.units.all()]
            if members:
                by_unit.append((unit, members))
    return render(
        request,
        "portal/provider.html",
        {"provider": provider, "locations": locations, "practitioners": practitioners, "by_unit": by_unit},
    )


SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")

# The fields a patient types on the booking form; the review step carries them as hidden
# inputs, and so do the alternatives offered to the loser of a race for a slot.
DATA_FIELDS = ("first_name", "last_name", "email", "phone", "pesel", "note", "accept_requirements")


def _slot_practitioner(slot_id: int) -> int | None:
    return Slot.objects.filter(pk=slot_id).values_list("practitioner_id", flat=True).first()


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate("RATELIMIT_BOOKING"), method="POST", block=True)
def book(request, slot_id: int):
    """D3 in steps: termin (chosen) → dane → podsumowanie (RODO clause, terms) → booked.
    A POST with the terms accepted books; any other POST shows the form or the review."""
    now = clock.now()
    account = acting_account(request)
    try:
        checked = pipeline.preflight(
            pipeline.BookingRequest(slot_id=slot_id, channel=Source.PORTAL, account=account, now=now)
        )
    except PaymentDeadlineRefused as exc:
        # The visit is paid online and its deadline has passed already: a later slot of the
        # same practitioner may still be bookable.
        return render(
            request,
            "portal/slot_unavailable.html",
            {"message": exc.message, "practitioner_id": _slot_practitioner(slot_id)},
            status=403,
        )
    except BookingRefused as exc:
        return render(
            request,
            "portal/slot_unavailable.html",
            {"message": exc.message, "offer_login": True, "offer_consent": isinstance(exc, ConsentWithdrawn)},
            status=403,
        )
    except SlotNotOffered:
        raise Http404 from None
    except InvalidBooking as exc:
        return render(request, "portal/slot_unavailable.html", {"message": exc.errors["slot"][0]}, status=404)
    slot, rules = checked.slot, checked.rules
    assert slot is not None and rules is not None
    if request.method == "GET" and not open_slots(now, portal=False).filter(pk=slot.pk).exists():
        return _slot_taken(request, slot, booking.alternatives_for(slot, now=now, portal=True), kept={})
    requirement = slot.block.requirement_text if slot.block else ""
    initial = account_initial(account, request.user)
    # Tabela 4: without "personal data required with an account" the account's data is used as is.
    from_account = bool(
        account is not None
        and not rules.account_data_required
        and initial.get("first_name")
        and initial.get("last_name")
        and initial.get("email")
    )
    posted = request.POST or None
    if posted is not None and from_account:
        posted = {
            **initial,
            "note": request.POST.get("note", ""),
            "accept_requirements": request.POST.get("accept_requirements", ""),
        }
    action = request.POST.get("action", "")
    editing = request.method == "POST" and action == "edit"
    form = PatientDataForm(
        None if editing else posted,
        initial={**initial, **{k: v for k, v in request.POST.items() if k in DATA_FIELDS}} if editing else initial,
        requirement_text=requirement,
        phone_required=rules.phone_required,
        pesel_required=rules.pesel_required,
    )
    # One key per form shown: sent twice (a double click, Back and send), it books once. A key
    # not of the form's own making is no key.
    submission = request.POST.get("submission", "") if request.method == "POST" else secrets.token_urlsafe(24)
    if not SUBMISSION_KEY.fullmatch(submission):
        submission = ""
    terms = legal.in_force(TermsDocument.Kind.PLATFORM, now)
    context = {
        "slot": slot,
        "form": form,
        "requirement": requirement,
        "from_account": from_account,
        "account_data": initial,
        "submission": submission,
        "acting_for": account if account is not None and account != request.user else None,
        "nfz_referral": needs_referral(slot),
        "terms": terms,
        "step": 2,
    }
    if request.method == "GET" or editing:
        return render(request, "portal/book.html", context)
    assert posted is not None
    if not form.is_valid():
        return render(
            request, "portal/book.html", {**context, "slot_error": _account_data_hint(form, from_account)}, status=422
        )
    review = {
        **context,
        "step": 3,
        "data": form.cleaned_data,
    }
    kept = _kept(request.POST, from_account)
    review["kept"] = kept
    # Only the review's own button books: it carries the version of the terms it showed.
    shown_version = request.POST.get("terms_version", "")
    confirmed = action == "confirm" and request.POST.get("accept_terms") == "on"
    if not confirmed or shown_version != terms.version:
        # The review step; sent from it without the box ticked (or after the terms changed),
        # it says what is missing.
        error = ""
        if action == "confirm" and shown_version != terms.version:
            error = _("Regulamin się zmienił. Przeczytaj i zaakceptuj wersję %(version)s.") % {"version": terms.version}
        elif action == "confirm":
            error = _("Aby zarezerwować wizytę, zaakceptuj regulamin.")
        return render(
            request, "portal/book_review.html", {**review, "terms_error": error}, status=422 if error else 200
        )
    try:
        with transaction.atomic():
            appointment = booking.book_appointment(
                slot.pk,
                posted,
                source="portal",
                account=account,
                now=now,
                submission_key=submission,
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
            legal.accept_for_booking(
                terms, reference=appointment.reference, user=request.user, channel="portal", now=now
            )
    except SlotTaken as exc:
        # The conditions the patient accepted were this slot's: another slot's are shown anew.
        return _slot_taken(request, slot, exc.alternatives, kept=[kv for kv in kept if kv[0] != "accept_requirements"])
    except InvalidBooking as exc:
        for field, messages in exc.errors.items():
            if field not in form.errors and field in form.fields:
                for message in messages:
                    form.add_error(field, message)
        non_field = [exc.message] if isinstance(exc, BookingRefused) else exc.errors.get("slot")
        non_field = [*(non_field or []), *_account_data_hint(form, from_account)]
        return render(request, "portal/book.html", {**context, "slot_error": non_field}, status=422)
    confirmation = reverse("portal:confirmation", args=[appointment.pk])
    return redirect(f"{confirmation}?t={appointment.cancel_token}")


def _account_data_hint(form, from_account: bool) -> list[str]:
    if from_account and any(f in form.errors for f in ("first_name", "last_name", "email", "phone", "pesel")):
        return [_("Uzupełnij dane w zakładce „Moje dane” w swoim koncie.")]
    return []


def _kept(post, from_account: bool) -> list[tuple[str, str]]:
    """What the patient typed, to carry to the next step or to another slot."""
    names = ("note", "accept_requirements") if from_account else DATA_FIELDS
    return [(name, post[name]) for name in names if post.get(name)]


def needs_referral(slot) -> bool:
    """An NFZ first visit at a specialist the law does not exempt from a referral (D3 note)."""
    if slot.financing != "nfz" or slot.followup_only:
        return False
    codes = {s.code for s in slot.practitioner.specializations.all()}
    return bool(codes) and not codes & REFERRAL_FREE


def account_initial(account, user) -> dict:
    """The data of the account the patient acts for, prefilled into the booking form (D4, E4):
    a dependent without an e-mail gets the guardian's, and without a PESEL none."""
    if account is None:
        return {}
    profile = getattr(account, "patient_profile", None)
    guardian_profile = getattr(user, "patient_profile", None)
    return {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": contact_email(account, user),
        "phone": (profile.phone if profile and profile.phone else "")
        or (guardian_profile.phone if guardian_profile else ""),
        "pesel": profile.pesel if profile and not profile.uses_guardian_pesel else "",
    }


def _slot_taken(request, slot, alternatives, *, kept):
    """The slot went to someone else: its alternatives, each a button that carries what the
    patient typed to the review of that slot, so nothing has to be typed again."""
    context = {
        "slot": slot,
        "alternatives": alternatives,
        "message": SlotTaken().message,
        "kept": kept,
        "submission_seed": secrets.token_urlsafe(16),
    }
    return render(request, "portal/slot_taken.html", context, status=409)


def confirmation(request, appointment_id: int):
    try:
        appointment = booking.get_appointment_by_token(appointment_id, request.GET.get("t", ""))
    except AppointmentNotFound:
        raise Http404 from None
    payment = Payment.objects.filter(appointment=appointment).first()
    return render(request, "portal/confirmation.html", {"appointment": appointment, "payment": payment})


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate("RATELIMIT_BOOKING"), method="POST", block=True)
def confirm_booking(request, appointment_id: int):
    """D3 multi-step: the link from the e-mail; the patient confirms with one button (a GET
    changes nothing, so link scanners cannot confirm for them)."""
    token = request.POST.get("t") or request.GET.get("t", "")
    try:
        appointment = booking.get_appointment_by_token(appointment_id, token)
    except AppointmentNotFound:
        return render(request, "portal/cancel_not_found.html", status=404)
    error = None
    if request.method == "POST":
        try:
            appointment = booking.confirm_held_booking(appointment.pk, token)
        except InvalidBooking as exc:
            error = exc.message
        else:
            confirmation = reverse("portal:confirmation", args=[appointment.pk])
            return redirect(f"{confirmation}?t={appointment.cancel_token}")
    return render(
        request,
        "portal/confirm_booking.html",
        {"appointment": appointment, "token": token, "error": error},
        status=422 if error else 200,
    )


def calendar_file(request, appointment_id: int):
    """K3: the visit as an .ics file, behind the same secret token as the cancel link."""
    try:
        appointment = booking.get_appointment_by_token(appointment_id, request.GET.get("t", ""))
    except AppointmentNotFound:
        raise Http404 from None
    response = HttpResponse(appointment_ics(appointment), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="wizyta-{appointment.reference}.ics"'
    return response


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate("RATELIMIT_BOOKING"), method="POST", block=True)
def cancel(request, appointment_id: int):
    token = request.POST.get("t") or request.GET.get("t", "")
    try:
        appointment = booking.get_appointment_by_token(appointment_id, token)
    except AppointmentNotFound:
        return render(request, "portal/cancel_not_found.html", status=404)
    error = None
    reason_errors: list[str] = []
    if request.method == "POST":
        try:
            booking.cancel_appointment_by_patient(appointment.pk, token, reason=request.POST.get("reason", ""))
            appointment.refresh_from_db()
            return render(request, "portal/cancelled.html", {"appointment": appointment})
        except InvalidBooking as exc:
            reason_errors = exc.errors.get("reason", [])
            error = None if reason_errors else exc.message
    rules = settings_for(appointment.provider_id)
    return render(
        request,
        "portal/cancel.html",
        {
            "appointment": appointment,
            "token": token,
            "error": error,
            "reason_errors": reason_errors,
            "reason": request.POST.get("reason", ""),
            "reason_required": rules.cancel_reason_required,
            "now": clock.now(),
        },
        status=422 if error or reason_errors else 200,
    )


def terms(request):
    """The platform terms in force (A3), linked from the booking review."""
    return render(request, "portal/terms.html", {"terms": legal.in_force(TermsDocument.Kind.PLATFORM, clock.now())})
