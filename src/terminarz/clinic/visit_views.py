"""Visit view (F9): services with payer and patient shares, staff notes; and the provider's
service dictionary the services are picked from."""

import csv

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from terminarz.booking import visits
from terminarz.booking.models import Appointment, AppointmentStatus, PayerKind, VisitService
from terminarz.catalog.models import Payer, Service, ServiceGroup
from terminarz.core import audit, clock
from terminarz.core.audit import record_audit
from terminarz.providers.models import Unit

from . import scope
from .access import clinic_view, get_for_provider
from .bookings import PAYER_PREFIX, _safe
from .payment_views import payment_panel_context
from .referral_views import payer_panel_context


class VisitServiceForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Usługa"), queryset=Service.objects.none())
    quantity = forms.IntegerField(label=_("Ilość"), min_value=1, max_value=99, initial=1)
    payer = forms.ChoiceField(label=_("Płatnik"))
    patient_share = forms.IntegerField(
        label=_("Udział pacjenta (%)"),
        min_value=0,
        max_value=100,
        help_text=_("100 – pacjent płaci całość; 0 – całość pokrywa płatnik; np. 30 – podział 70/30."),
    )

    def __init__(self, *args, appointment: Appointment, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Service.objects.filter(provider_id=appointment.provider_id, is_active=True)
            .filter(Q(units=None) | Q(units=appointment.unit_id))
            .distinct()
            .order_by("name")
        )
        # The patient, the NFZ, and the provider's active insurer payers (G4) by name.
        self.insurer_payers = {
            f"{PAYER_PREFIX}{p.pk}": p
            for p in Payer.objects.filter(provider_id=appointment.provider_id, is_active=True).order_by("name")
        }
        payer_field = self.fields["payer"]
        assert isinstance(payer_field, forms.ChoiceField)
        payer_field.choices = [
            (PayerKind.PATIENT.value, PayerKind.PATIENT.label),
            (PayerKind.NFZ.value, PayerKind.NFZ.label),
            *[(key, p.name) for key, p in self.insurer_payers.items()],
        ]

    def clean(self):
        cleaned = super().clean() or {}
        choice = cleaned.get("payer")
        cleaned["insurer_payer"] = self.insurer_payers.get(choice or "")
        if cleaned["insurer_payer"] is not None:
            cleaned["payer"] = PayerKind.INSURER.value
        if choice == PayerKind.PATIENT and cleaned.get("patient_share") not in (None, 100):
            self.add_error("patient_share", _("Gdy płatnikiem jest pacjent, pokrywa on 100% kosztu."))
        return cleaned


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Notatka"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Wpisz treść notatki.")},
    )


def visit_context(appointment: Appointment, membership, *, service_form=None, note_form=None) -> dict:
    """What the visit panel shows beyond the booking: services, totals, notes and the forms."""
    lines = list(appointment.services.select_related("service", "insurer_payer"))
    context: dict[str, object] = {
        "lines": lines,
        "totals": visits.totals(lines),
        "notes": list(appointment.staff_notes.select_related("author")),
    }
    if membership.has_permission("visits.change"):
        payer, share = visits.default_payer(appointment)
        context["service_form"] = service_form or VisitServiceForm(
            appointment=appointment, initial={"payer": payer, "patient_share": share, "quantity": 1}
        )
        context["note_form"] = note_form or NoteForm()
        context["can_add_services"] = appointment.status not in visits.CLOSED
    return context


def _visit(request, appointment_id):
    return scope.get_appointment(
        request,
        Appointment.objects.select_related("practitioner", "unit__location", "patient", "booked_by", "slot"),
        appointment_id,
    )


def _panel(request, appointment, status=200, **forms_):
    history = appointment.transitions.select_related("actor").order_by("at", "pk")
    template = "clinic/_visit_panel.html" if request.htmx else "clinic/visit.html"
    patient = appointment.patient
    context = {
        "appointment": appointment,
        "history": history,
        "age": patient.age_on(clock.local_today(at=appointment.start)) if patient else None,
        "attendance": visits.attendance(appointment.patient_id),
        "can_record_outcome": request.membership.has_permission("visits.change")
        and appointment.status == AppointmentStatus.CONFIRMED
        and appointment.start <= clock.now(),
        **visit_context(appointment, request.membership, **forms_),
        **payment_panel_context(appointment, request.membership),
        **payer_panel_context(appointment, request.membership),
    }
    return render(request, template, context, status=status)


@require_POST
@clinic_view("visits.change")
def visit_outcome(request, appointment_id: int):
    """The visit took place, or the patient did not come (practitioner's day)."""
    appointment = _visit(request, appointment_id)
    try:
        visits.record_outcome(appointment, request.POST.get("outcome", ""), actor=request.user)
    except visits.OutcomeRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Zapisano: %(status)s.") % {"status": appointment.get_status_display()})
    return redirect("clinic:visit", appointment_id=appointment.pk)


@clinic_view("calendar.view")
def visit_detail(request, appointment_id: int):
    """Visit side panel (F3, F9): who, when, source, the patient's note, services and shares,
    staff notes, history."""
    return _panel(request, _visit(request, appointment_id))


@require_POST
@clinic_view("visits.change")
def visit_service_add(request, appointment_id: int):
    appointment = _visit(request, appointment_id)
    form = VisitServiceForm(request.POST, appointment=appointment)
    if not form.is_valid():
        return _panel(request, appointment, status=422, service_form=form)
    c = form.cleaned_data
    try:
        visits.add_service(
            appointment,
            c["service"],
            quantity=c["quantity"],
            payer=c["payer"],
            insurer_payer=c["insurer_payer"],
            patient_share=c["patient_share"],
            actor=request.user,
        )
    except visits.VisitClosed:
        form.add_error(None, _("Do odwołanej lub wygasłej wizyty nie można dodać usług."))
        return _panel(request, appointment, status=422, service_form=form)
    if request.htmx:
        return _panel(request, appointment)
    messages.success(request, gettext("Dodano usługę."))
    return redirect("clinic:visit", appointment_id=appointment.pk)


@require_POST
@clinic_view("visits.change")
def visit_service_remove(request, appointment_id: int, line_id: int):
    appointment = _visit(request, appointment_id)
    line = (
        VisitService.objects.select_related("service", "appointment")
        .filter(appointment=appointment, pk=line_id)
        .first()
    )
    if line is None:
        raise Http404
    visits.remove_service(line, actor=request.user)
    if request.htmx:
        return _panel(request, appointment)
    messages.success(request, gettext("Usunięto usługę."))
    return redirect("clinic:visit", appointment_id=appointment.pk)


@require_POST
@clinic_view("visits.change")
def visit_note_add(request, appointment_id: int):
    appointment = _visit(request, appointment_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _panel(request, appointment, status=422, note_form=form)
    visits.add_note(appointment, form.cleaned_data["text"], actor=request.user)
    if request.htmx:
        return _panel(request, appointment)
    messages.success(request, gettext("Dodano notatkę."))
    return redirect("clinic:visit", appointment_id=appointment.pk)


def no_control_characters(value: str) -> str:
    """Names and codes go into signed XML and spreadsheets, which cannot hold control characters."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise forms.ValidationError(_("Usuń znaki sterujące (np. tabulację) z tego pola."))
    return value


CODE_TAKEN = {
    Service: _("Usługa o tym kodzie już istnieje."),
    ServiceGroup: _("Grupa o tym kodzie już istnieje."),
}


def unique_code(form: forms.ModelForm, taken) -> str:
    """A dictionary code (a service's or a group's): no spaces, no control characters, unique
    in the provider (case-insensitive)."""
    code = form.cleaned_data["code"].strip()
    if any(ch.isspace() for ch in code):
        raise forms.ValidationError(_("Kod nie może zawierać spacji."))
    no_control_characters(code)
    model = type(form.instance)
    if model.objects.filter(provider=form.instance.provider, code__iexact=code).exclude(pk=form.instance.pk).exists():
        raise forms.ValidationError(taken)
    return code


def save_audited(request, form: forms.ModelForm, *, action: str, summary) -> object | None:
    """Save a dictionary form with its audit entry in one transaction; a code taken meanwhile
    (the unique constraint) becomes the form's error and None is returned."""
    fields = list(form._meta.fields or [])
    try:
        with transaction.atomic():
            before = audit.stored_snapshot(form.instance, fields)
            saved = form.save()
            record_audit(
                provider_id=request.provider.pk,
                action=action,
                target=saved,
                summary=summary(saved),
                actor=request.user,
                changes=audit.diff(before, audit.snapshot(saved, fields)),
            )
    except IntegrityError:
        form.add_error("code", CODE_TAKEN[type(form.instance)])
        return None
    return saved


DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class ServiceForm(forms.ModelForm):
    """A service of the procedure dictionary with its general price (seed 000 §4.2.1: own code,
    unique; name; "Dostęp do kanałów self service"; then price, VAT, validity, active, units)."""

    class Meta:
        model = Service
        fields = [
            "group",
            "code",
            "name",
            "self_service",
            "price",
            "vat_rate",
            "valid_from",
            "valid_to",
            "is_active",
            "units",
        ]
        widgets = {"units": forms.CheckboxSelectMultiple, "valid_from": DATE_INPUT, "valid_to": DATE_INPUT}

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.provider = provider
        field = self.fields["units"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Unit.objects.filter(provider=provider)
        group = self.fields["group"]
        assert isinstance(group, forms.ModelChoiceField)
        group.queryset = ServiceGroup.objects.filter(provider=provider).order_by("name")
        group.empty_label = gettext("– bez grupy –")
        self.fields["price"].min_value = 0  # type: ignore[attr-defined]

    def clean_name(self):
        return no_control_characters(self.cleaned_data["name"])

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("Data „ważna do” nie może być wcześniejsza niż „ważna od”."))
        return cleaned

    def clean_code(self):
        return unique_code(self, CODE_TAKEN[Service])

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price is not None and price < 0:
            raise forms.ValidationError(_("Cena nie może być ujemna."))
        return price


@require_http_methods(["GET", "POST"])
@clinic_view("services.change")
def service_list(request, service_id: int | None = None):
    service = get_for_provider(Service.objects.all(), request.provider, service_id) if service_id else None
    form = ServiceForm(request.POST or None, instance=service, provider=request.provider)
    if request.method == "POST" and form.is_valid():
        text = (
            gettext("Zmieniono usługę %(code)s – %(name)s (%(price)s zł)")
            if service
            else gettext("Dodano usługę %(code)s – %(name)s (%(price)s zł)")
        )
        saved = save_audited(
            request,
            form,
            action="service.changed" if service else "service.created",
            summary=lambda s: text % {"code": s.code, "name": s.name, "price": s.price},
        )
        if saved is not None:
            messages.success(request, gettext("Zapisano usługę %(code)s.") % {"code": form.instance.code})
            return redirect("clinic:services")
    services = (
        Service.objects.filter(provider=request.provider)
        .select_related("group")
        .prefetch_related("units")
        .order_by("group__name", "name")
    )
    return render(
        request,
        "clinic/services.html",
        {
            "services": services,
            "form": form,
            "editing": service,
            "groups": ServiceGroup.objects.filter(provider=request.provider).order_by("name"),
        },
        status=422 if form.errors else 200,
    )


class GroupForm(forms.ModelForm):
    """ "Dodaj produkt kontraktowy": a product group of the procedure dictionary."""

    class Meta:
        model = ServiceGroup
        fields = ["code", "name"]

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.provider = provider

    def clean_name(self):
        return no_control_characters(self.cleaned_data["name"])

    def clean_code(self):
        return unique_code(self, CODE_TAKEN[ServiceGroup])


@require_http_methods(["GET", "POST"])
@clinic_view("services.change")
def group_edit(request, group_id: int | None = None):
    group = get_for_provider(ServiceGroup.objects.all(), request.provider, group_id) if group_id else None
    form = GroupForm(request.POST or None, instance=group, provider=request.provider)
    if request.method == "POST" and form.is_valid():
        text = (
            gettext("Zmieniono grupę usług %(code)s – %(name)s")
            if group
            else gettext("Dodano grupę usług %(code)s – %(name)s")
        )
        saved = save_audited(
            request,
            form,
            action="service_group.changed" if group else "service_group.created",
            summary=lambda s: text % {"code": s.code, "name": s.name},
        )
        if saved is not None:
            messages.success(request, gettext("Zapisano grupę %(name)s.") % {"name": form.instance.name})
            return redirect("clinic:services")
    return render(
        request,
        "clinic/service_group.html",
        {"form": form, "editing": group},
        status=422 if form.errors else 200,
    )


@require_GET
@clinic_view("services.change")
def service_export(request):
    """ "Eksport do csv" (seed 000 §4.2.2): the whole procedure dictionary with the unique codes,
    for the payers the provider works with."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="procedury-{clock.local_today():%Y-%m-%d}.csv"'
    response.write("\ufeff")  # so that a spreadsheet opens the Polish letters right
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            gettext("Kod grupy"),
            gettext("Grupa"),
            gettext("Kod własny"),
            gettext("Nazwa usługi"),
            gettext("Kanały self service"),
            gettext("Cena brutto (zł)"),
            gettext("Stawka VAT"),
            gettext("Aktywna"),
        ]
    )
    services = Service.objects.filter(provider=request.provider).select_related("group")
    for s in services.order_by("group__name", "code"):
        writer.writerow(
            [
                _safe(s.group.code) if s.group else "",
                _safe(s.group.name) if s.group else "",
                _safe(s.code),
                _safe(s.name),
                gettext("tak") if s.self_service else gettext("nie"),
                f"{s.price:.2f}".replace(".", ","),
                s.get_vat_rate_display(),
                gettext("tak") if s.is_active else gettext("nie"),
            ]
        )
    return response
