"""Patients' requests in the back-office (E5): prescription requests and RODO requests with
their deadlines; documents shared with a patient from the patient record."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from terminarz.booking.models import AppointmentStatus
from terminarz.core import clock
from terminarz.core.statemachine import TransitionRefused
from terminarz.patients.models import Patient
from terminarz.records import services
from terminarz.records.models import PrescriptionRequest, RodoRequest, SharedDocument

from . import scope
from .access import clinic_view, get_for_provider


@clinic_view("patients.view")
def requests_list(request):
    provider, membership = request.provider, request.membership
    prescriptions = scope.of_visible_patients(
        membership, PrescriptionRequest.objects.filter(provider=provider).select_related("patient", "practitioner")
    )
    rodo = scope.of_visible_patients(
        membership, RodoRequest.objects.filter(provider=provider).select_related("patient")
    )
    return render(
        request,
        "clinic/requests.html",
        {
            "prescriptions": prescriptions.order_by("status", "-created_at")[:200],
            "rodo": rodo.order_by("due_date")[:200],
            "today": clock.local_today(),
            "can_change": request.membership.has_permission("patients.change"),
            "prescription_statuses": PrescriptionRequest.Status.choices,
            "rodo_statuses": [(v, label) for v, label in RodoRequest.Status.choices if v != "withdrawn"],
        },
    )


@require_POST
@clinic_view("patients.change")
def prescription_update(request, request_id: int):
    item = get_for_provider(
        scope.of_visible_patients(request.membership, PrescriptionRequest.objects.all()), request.provider, request_id
    )
    status = request.POST.get("status", "")
    if status not in PrescriptionRequest.Status.values:
        messages.error(request, gettext("Wybierz status."))
        return redirect("clinic:requests")
    try:
        services.handle_prescription(item, actor=request.user, status=status, answer=request.POST.get("answer", ""))
    except TransitionRefused as exc:
        messages.error(request, exc.message)
        return redirect("clinic:requests")
    messages.success(request, gettext("Zapisano."))
    return redirect("clinic:requests")


@require_POST
@clinic_view("patients.change")
def rodo_update(request, request_id: int):
    item = get_for_provider(
        scope.of_visible_patients(request.membership, RodoRequest.objects.all()), request.provider, request_id
    )
    status = request.POST.get("status", "")
    if status not in RodoRequest.Status.values or status == RodoRequest.Status.WITHDRAWN:
        messages.error(request, gettext("Wybierz status."))
        return redirect("clinic:requests")
    try:
        services.handle_rodo_request(item, actor=request.user, status=status, answer=request.POST.get("answer", ""))
    except TransitionRefused as exc:
        messages.error(request, exc.message)
        return redirect("clinic:requests")
    messages.success(request, gettext("Zapisano."))
    return redirect("clinic:requests")


class ShareForm(forms.ModelForm):
    """E5: what the patient sees in the panel – a vaccination done or planned, a referral,
    recommendations of a finished visit (the visit named), a document or an issued prescription."""

    class Meta:
        model = SharedDocument
        fields = ["kind", "title", "date", "planned", "appointment", "text", "file"]
        widgets = {
            "date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, visits, **kwargs):
        super().__init__(*args, **kwargs)
        appointment = self.fields["appointment"]
        assert isinstance(appointment, forms.ModelChoiceField)
        appointment.queryset = visits.filter(status=AppointmentStatus.COMPLETED).select_related("practitioner")
        appointment.label_from_instance = _visit_label  # type: ignore[method-assign,assignment]

    def clean(self):
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if not cleaned.get("text") and not cleaned.get("file"):
            raise forms.ValidationError(_("Wpisz treść albo dołącz plik."))
        if cleaned.get("planned") and kind != SharedDocument.Kind.VACCINATION:
            self.add_error("planned", _("Zaplanowane może być tylko szczepienie."))
        if kind == SharedDocument.Kind.RECOMMENDATION and not cleaned.get("appointment"):
            self.add_error("appointment", _("Wybierz zakończoną wizytę, której dotyczą zalecenia."))
        if cleaned.get("appointment") and kind != SharedDocument.Kind.RECOMMENDATION:
            cleaned["appointment"] = None  # only recommendations name their visit
        return cleaned


def _visit_label(visit) -> str:
    return f"{clock.local_text(visit.start)} – {visit.practitioner.full_name}"


@require_POST
@clinic_view("patients.change")
def share_document(request, patient_id: int):
    patient = scope.get_patient(request, Patient.objects.all(), patient_id)
    visits = scope.visible_appointments(request.membership).filter(patient=patient)
    form = ShareForm(request.POST, request.FILES, visits=visits)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect("clinic:patient", patient_id=patient.pk)
    services.share_document(form.save(commit=False), provider=request.provider, patient=patient, actor=request.user)
    messages.success(request, gettext("Udostępniono pacjentowi w jego panelu."))
    return redirect("clinic:patient", patient_id=patient.pk)
