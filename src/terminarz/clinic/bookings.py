"""Bookings list (F5): filters, pagination and CSV/XLSX export of the same filtered list."""

import csv
import io

from django import forms
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from terminarz.accounts.models import User
from terminarz.booking.models import Appointment, AppointmentStatus, AppointmentTransition, PayerKind, Source
from terminarz.catalog.models import Payer
from terminarz.core import audit_labels
from terminarz.core.audit import record_audit
from terminarz.providers.models import Unit
from terminarz.scheduling.models import Financing
from terminarz.staff.models import Practitioner

from . import scope
from .access import clinic_view

ONLINE = "online"


PAYER_PREFIX = "platnik-"  # a payer's choice value, here and in the visit view


class BookingFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("Wizyty od"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Wizyty do"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("dowolny")), *AppointmentStatus.choices]
    )
    source = forms.ChoiceField(
        label=_("Źródło"),
        required=False,
        choices=[("", _("dowolne")), (ONLINE, _("umówione online")), *Source.choices],
    )
    payer = forms.ChoiceField(label=_("Płatnik"), required=False)
    practitioner = forms.ModelChoiceField(label=_("Lekarz"), required=False, queryset=Practitioner.objects.none())
    unit = forms.ModelChoiceField(label=_("Poradnia"), required=False, queryset=Unit.objects.none())
    booked_by = forms.ModelChoiceField(label=_("Umówił(a)"), required=False, queryset=User.objects.none())
    cancelled_by = forms.ModelChoiceField(label=_("Pracownik odwołujący"), required=False, queryset=User.objects.none())
    created_from = forms.DateField(
        label=_("Umówiono od"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Umówiono do"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    cancelled_from = forms.DateField(
        label=_("Odwołano od"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    cancelled_to = forms.DateField(
        label=_("Odwołano do"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        provider = membership.provider
        for name, queryset in (
            ("practitioner", scope.visible_practitioners(membership)),
            ("unit", Unit.objects.filter(provider=provider)),
            ("booked_by", User.objects.filter(memberships__provider=provider).order_by("username")),
            ("cancelled_by", User.objects.filter(memberships__provider=provider).order_by("username")),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
        # F5/G7: the patient (private), the NFZ, or one of the provider's insurer payers.
        payer = self.fields["payer"]
        assert isinstance(payer, forms.ChoiceField)
        payer.choices = [
            ("", _("dowolny")),
            (PayerKind.PATIENT.value, PayerKind.PATIENT.label),
            (PayerKind.NFZ.value, PayerKind.NFZ.label),
            *[(f"{PAYER_PREFIX}{p.pk}", p.name) for p in Payer.objects.filter(provider=provider).order_by("name")],
        ]

    def clean(self):
        cleaned = super().clean() or {}
        for start, end in (
            ("date_from", "date_to"),
            ("created_from", "created_to"),
            ("cancelled_from", "cancelled_to"),
        ):
            if cleaned.get(start) and cleaned.get(end) and cleaned[end] < cleaned[start]:
                self.add_error(end, _("Data końcowa nie może być wcześniejsza niż początkowa."))
        return cleaned

    def apply(self, qs):
        c = self.cleaned_data
        lookups = {
            "date_from": "start__date__gte",
            "date_to": "start__date__lte",
            "status": "status",
            "practitioner": "practitioner",
            "unit": "unit",
            "booked_by": "booked_by",
            "created_from": "created_at__date__gte",
            "created_to": "created_at__date__lte",
            "cancelled_from": "cancelled_at__date__gte",
            "cancelled_to": "cancelled_at__date__lte",
        }
        for name, lookup in lookups.items():
            if c.get(name):
                qs = qs.filter(**{lookup: c[name]})
        payer = c.get("payer") or ""
        if payer == PayerKind.NFZ:
            qs = qs.filter(slot__financing=Financing.NFZ)
        elif payer == PayerKind.PATIENT:
            qs = qs.exclude(slot__financing=Financing.NFZ).filter(payer_booking__isnull=True)
        elif payer.startswith(PAYER_PREFIX):
            qs = qs.filter(payer_booking__payer_id=int(payer.removeprefix(PAYER_PREFIX)))
        if c.get("cancelled_by"):  # F5 "Pracownik odwołujący" (seed 001 §6.2)
            qs = qs.filter(
                Exists(
                    AppointmentTransition.objects.filter(
                        appointment=OuterRef("pk"), to_status=AppointmentStatus.CANCELLED, actor=c["cancelled_by"]
                    )
                )
            )
        if c.get("source") == ONLINE:
            qs = qs.filter(source__in=[Source.PORTAL, Source.API, Source.FHIR])
        elif c.get("source"):
            qs = qs.filter(source=c["source"])
        return qs


def _bookings(request):
    form = BookingFilterForm(request.GET or None, membership=request.membership)
    cancellation = AppointmentTransition.objects.filter(
        appointment=OuterRef("pk"), to_status=AppointmentStatus.CANCELLED
    ).order_by("-at", "-pk")
    qs = (
        scope.visible_appointments(request.membership)
        .select_related("practitioner", "unit", "booked_by")
        # F5 "Kto i kiedy odwołał": the account or the channel that cancelled
        .annotate(
            cancelled_by_name=Subquery(cancellation.values("actor__username")[:1]),
            cancelled_by_label=Subquery(cancellation.values("actor_label")[:1]),
        )
        .order_by("-start", "-pk")
    )
    if form.is_bound and form.is_valid():
        qs = form.apply(qs)
    elif form.is_bound:
        qs = qs.none()
    return form, qs


@clinic_view("calendar.view")
def bookings_list(request):
    form, qs = _bookings(request)
    page = Paginator(qs, 50).get_page(request.GET.get("strona"))
    scope.audit_calendars_read(request, {a.practitioner_id for a in page}, gettext("lista rezerwacji"))
    params = request.GET.copy()
    params.pop("strona", None)
    return render(request, "clinic/bookings.html", {"form": form, "page": page, "params": params.urlencode()})


COLUMNS = [
    _("Numer"),
    _("Termin"),
    _("Lekarz"),
    _("Poradnia"),
    _("Pacjent"),
    _("Źródło"),
    _("Status"),
    _("Umówiono"),
    _("Umówił(a)"),
    _("Odwołano"),
    _("Odwołał(a)"),
    _("Powód odwołania"),
]


def _row(a: Appointment) -> list:
    return [
        a.reference,
        localtime(a.start).strftime("%Y-%m-%d %H:%M"),
        a.practitioner.full_name,
        a.unit.name,
        f"{a.first_name} {a.last_name}",
        a.get_source_display(),
        a.get_status_display(),
        localtime(a.created_at).strftime("%Y-%m-%d %H:%M"),
        a.booked_by.get_username() if a.booked_by else "",
        localtime(a.cancelled_at).strftime("%Y-%m-%d %H:%M") if a.cancelled_at else "",
        cancelled_by(a) if a.cancelled_at else "",
        a.cancel_reason,
    ]


def cancelled_by(a: Appointment) -> str:
    """Who cancelled: a staff account by its name, else the channel (pacjent, system, …)."""
    name = getattr(a, "cancelled_by_name", None)
    return name or audit_labels.actor_label(getattr(a, "cancelled_by_label", None) or "")


def _safe(value):
    """Cells that a spreadsheet would run as formulas are prefixed (CSV/XLSX injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


EXPORT_FORMATS = ("csv", "xlsx")


@clinic_view("bookings.export")
def bookings_export(request, fmt: str):
    if fmt not in EXPORT_FORMATS:
        raise Http404
    form, qs = _bookings(request)
    rows = ([_safe(v) for v in _row(a)] for a in qs.iterator(chunk_size=1000))
    record_audit(
        provider_id=request.provider.pk,
        action="bookings.exported",
        target=None,
        summary=gettext("Wyeksportowano listę rezerwacji (%(format)s)") % {"format": fmt.upper()},
        actor=request.user,
        changes={"filters": {k: v for k, v in request.GET.items() if v}},
    )
    header = [str(column) for column in COLUMNS]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(gettext("Rezerwacje"))
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="rezerwacje.{fmt}"'
    return response
