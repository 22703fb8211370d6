"""Patient records (F6) and health cards (E6) in the back-office; opening a record is audited."""

from django.contrib import messages
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from terminarz.booking import visits as booking_visits
from terminarz.core import clock
from terminarz.notifications.models import Message
from terminarz.patients import services
from terminarz.patients.forms import CardForm, PatientEditForm
from terminarz.patients.models import HealthCard, Patient

from . import scope
from .access import clinic_view, get_for_provider
from .message_views import visible_messages
from .request_views import ShareForm


@clinic_view("patients.view")
def patient_list(request):
    query = request.GET.get("q", "")
    found = (
        services.search_patients(request.provider, query, limit=50, among=scope.visible_patients(request.membership))
        if query
        else []
    )
    return render(request, "clinic/patients.html", {"query": query, "found": found})


@require_http_methods(["GET", "POST"])
@clinic_view("patients.change")
def patient_create(request):
    form = PatientEditForm(request.POST or None, provider=request.provider)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "guardian_pesel"}
        patient = services.create_patient(request.provider, data, actor=request.user)
        messages.success(request, gettext("Dodano pacjenta do kartoteki."))
        return redirect("clinic:patient", patient_id=patient.pk)
    return render(request, "clinic/patient_form.html", {"form": form}, status=422 if form.errors else 200)


@clinic_view("patients.view")
def patient_detail(request, patient_id: int):
    patient = scope.get_patient(request, Patient.objects.select_related("guardian"), patient_id)
    services.record_opened(patient, actor=request.user)
    visits = (
        scope.visible_appointments(request.membership)
        .filter(patient=patient)
        .select_related("practitioner", "unit")
        .order_by("-start")[:50]
    )
    return render(
        request,
        "clinic/patient.html",
        {
            "patient": patient,
            "visits": visits,
            "cards": patient.cards.all(),
            "card_form": CardForm(),
            "first_time": services.is_first_time(patient, now=clock.now()),
            "attendance": booking_visits.attendance(patient.pk),
            "shared": patient.shared_documents.select_related("appointment").order_by("-date")[:50],
            "share_form": ShareForm(
                initial={"date": clock.local_today()},
                visits=scope.visible_appointments(request.membership).filter(patient=patient),
            ),
            "can_share": request.membership.has_permission("patients.change"),
            # Without "calendar.view_all" not the messages about the patient's visits with colleagues.
            "patient_messages": visible_messages(
                request.membership, Message.objects.filter(provider=request.provider, patient=patient)
            ).order_by("-created_at")[:50],
        },
    )


@require_http_methods(["GET", "POST"])
@clinic_view("patients.change")
def patient_edit(request, patient_id: int):
    patient = scope.get_patient(request, Patient.objects.select_related("guardian"), patient_id)
    initial = {name: getattr(patient, name) for name in services.RECORD_FIELDS if name != "guardian"}
    initial["guardian_pesel"] = patient.guardian.pesel if patient.guardian else ""
    form = PatientEditForm(request.POST or None, initial=initial, provider=request.provider, patient=patient)
    if request.method == "POST" and form.is_valid():
        changed = services.update_patient(patient, form.cleaned_data, actor=request.user)
        messages.success(request, gettext("Zapisano zmiany.") if changed else gettext("Nic się nie zmieniło."))
        return redirect("clinic:patient", patient_id=patient.pk)
    return render(
        request, "clinic/patient_form.html", {"form": form, "patient": patient}, status=422 if form.errors else 200
    )


@require_POST
@clinic_view("patients.change")
def card_add(request, patient_id: int):
    patient = scope.get_patient(request, Patient.objects.all(), patient_id)
    form = CardForm(request.POST)
    if form.is_valid():
        try:
            active = bool(form.cleaned_data["active"])
            services.add_card(patient, form.cleaned_data["number"], actor=request.user, active=active)
            messages.success(
                request,
                gettext("Dodano kartę jako aktywną.")
                if active
                else gettext("Dodano kartę (nieaktywna). Aktywuj ją, gdy pacjent ją okaże."),
            )
        except IntegrityError:
            messages.error(request, gettext("Karta o tym numerze jest już w kartotece."))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors["number"]))
    return redirect("clinic:patient", patient_id=patient.pk)


@require_POST
@clinic_view("patients.change")
def card_activate(request, patient_id: int, card_id: int):
    patient = scope.get_patient(request, Patient.objects.all(), patient_id)
    card = get_for_provider(HealthCard.objects.filter(patient=patient), request.provider, card_id)
    services.activate_card(card, actor=request.user)
    messages.success(request, gettext("Karta jest aktywna; pozostałe karty pacjenta stały się nieaktywne."))
    return redirect("clinic:patient", patient_id=patient.pk)
