"""Waiting queues in the back-office (F7): the NFZ waiting queue per unit (stable / urgent)
and the provider's waiting list (lista rezerwowa)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from terminarz.catalog.models import Specialization
from terminarz.core import clock
from terminarz.core.ids import parse_id
from terminarz.core.statemachine import TransitionRefused
from terminarz.patients.models import Patient
from terminarz.patients.services import search_patients
from terminarz.providers.models import Unit
from terminarz.staff.models import Practitioner
from terminarz.waiting import services as waiting
from terminarz.waiting.models import QueueEntry, WaitlistEntry

from . import scope
from .access import clinic_view, get_for_provider


class QueueFilter(forms.Form):
    unit = forms.ModelChoiceField(label=_("Komórka"), queryset=Unit.objects.none(), required=False)
    category = forms.ChoiceField(
        label=_("Kategoria"), required=False, choices=[("", _("wszystkie")), *QueueEntry.Category.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("wszystkie")), *QueueEntry.Status.choices]
    )

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(provider=provider)  # type: ignore[attr-defined]


class QueueEntryForm(forms.Form):
    patient = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": _("Wybierz pacjenta.")})
    unit = forms.ModelChoiceField(
        label=_("Komórka"), queryset=Unit.objects.none(), error_messages={"required": _("Wybierz komórkę.")}
    )
    category = forms.ChoiceField(label=_("Kategoria"), choices=QueueEntry.Category.choices)
    note = forms.CharField(label=_("Uwagi"), max_length=300, required=False)

    def __init__(self, *args, provider, patients: QuerySet[Patient], **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.patients = patients
        self.fields["unit"].queryset = Unit.objects.filter(provider=provider)  # type: ignore[attr-defined]

    def clean_patient(self):
        patient = self.patients.filter(provider=self.provider, pk=self.cleaned_data["patient"]).first()
        if patient is None:
            raise forms.ValidationError(_("Wybierz pacjenta."))
        return patient


@require_http_methods(["GET", "POST"])
@clinic_view("patients.view")
def queues(request):
    provider = request.provider
    can_change = request.membership.has_permission("patients.change")
    form = QueueFilter(request.GET or None, provider=provider)
    entries = scope.of_visible_patients(
        request.membership,
        QueueEntry.objects.filter(provider=provider).select_related("unit", "patient", "appointment"),
    )
    if form.is_valid():
        c = form.cleaned_data
        if c["unit"]:
            entries = entries.filter(unit=c["unit"])
        if c["category"]:
            entries = entries.filter(category=c["category"])
        if c["status"]:
            entries = entries.filter(status=c["status"])
    add_form = QueueEntryForm(
        request.POST or None, provider=provider, patients=scope.visible_patients(request.membership)
    )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if add_form.is_valid():
            c = add_form.cleaned_data
            waiting.add_to_queue(
                provider,
                actor=request.user,
                unit=c["unit"],
                patient=c["patient"],
                category=c["category"],
                note=c["note"],
            )
            messages.success(request, gettext("Wpisano pacjenta do kolejki oczekujących."))
            return redirect("clinic:queues")
    query = request.GET.get("q", "")
    found = search_patients(provider, query, among=scope.visible_patients(request.membership)) if query else []
    waitlist = (
        scope.of_visible_waitlist(
            request.membership, WaitlistEntry.objects.filter(provider=provider, status=WaitlistEntry.Status.WAITING)
        )
        .select_related("practitioner", "specialization")
        .order_by("created_at")
    )
    return render(
        request,
        "clinic/queues.html",
        {
            "form": form,
            "entries": entries.order_by("unit__name", "category", "created_at")[:500],
            "add_form": add_form,
            "found": found,
            "query": request.GET.get("q", ""),
            "waitlist": waitlist,
            "can_change": can_change,
            "statuses": QueueEntry.Status.choices,
            "categories": QueueEntry.Category.choices,
        },
        status=422 if add_form.errors else 200,
    )


@require_POST
@clinic_view("patients.change")
def queue_entry_update(request, entry_id: int):
    entry = get_for_provider(
        scope.of_visible_patients(request.membership, QueueEntry.objects.select_related("unit")),
        request.provider,
        entry_id,
    )
    status = request.POST.get("status", entry.status)
    category = request.POST.get("category", entry.category)
    if status not in QueueEntry.Status.values or category not in QueueEntry.Category.values:
        messages.error(request, gettext("Nieprawidłowy status lub kategoria."))
        return redirect("clinic:queues")
    try:
        waiting.change_queue_entry(entry, actor=request.user, status=status, category=category)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
        return redirect("clinic:queues")
    messages.success(request, gettext("Zapisano zmianę wpisu."))
    return redirect("clinic:queues")


@require_POST
@clinic_view("patients.change")
def waitlist_remove(request, entry_id: int):
    entry = get_for_provider(
        scope.of_visible_waitlist(request.membership, WaitlistEntry.objects.all()), request.provider, entry_id
    )
    try:
        waiting.remove_from_waitlist(entry, actor=request.user)
    except TransitionRefused as exc:
        messages.error(request, exc.message)
        return redirect("clinic:queues")
    messages.success(request, gettext("Usunięto wpis z listy rezerwowej."))
    return redirect("clinic:queues")


DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class WaitlistEntryForm(forms.Form):
    """F7: the registrar puts a patient of the records on the waiting list – a practitioner or
    a specialization, and the days the patient could come (003: "tworzyć listę rezerwową")."""

    practitioner = forms.ModelChoiceField(
        label=_("Lekarz"), queryset=Practitioner.objects.none(), required=False, empty_label=_("– wybierz –")
    )
    specialization = forms.ModelChoiceField(
        label=_("Albo specjalizacja (dowolny lekarz)"),
        queryset=Specialization.objects.none(),
        required=False,
        empty_label=_("– wybierz –"),
    )
    after = forms.DateField(label=_("Termin od dnia"), required=False, widget=DATE)
    before = forms.DateField(label=_("Termin do dnia"), required=False, widget=DATE)

    def __init__(self, *args, provider, membership, **kwargs):
        super().__init__(*args, **kwargs)
        # The patient is chosen by the radio buttons of the search results (not a rendered field).
        chosen = parse_id(self.data.get("patient")) if self.is_bound else None
        self.patient = (
            scope.visible_patients(membership).filter(provider=provider, pk=chosen).first() if chosen else None
        )
        practitioners = scope.visible_practitioners(membership).order_by("last_name", "first_name")
        self.fields["practitioner"].queryset = practitioners  # type: ignore[attr-defined]
        self.fields["specialization"].queryset = (  # type: ignore[attr-defined]
            Specialization.objects.filter(practitioners__in=practitioners).distinct().order_by("name")
        )
        if not scope.sees_all_patients(membership):
            # Without "patients.view_all" only one's own practitioners' lists (clinic.scope).
            del self.fields["specialization"]

    def clean(self):
        cleaned = super().clean() or {}
        if self.patient is None:
            raise forms.ValidationError(_("Wybierz pacjenta."))
        if not cleaned.get("practitioner") and not cleaned.get("specialization"):
            self.add_error("practitioner", _("Wybierz lekarza albo specjalizację."))
        after, before = cleaned.get("after"), cleaned.get("before")
        if before and before < clock.local_today():
            self.add_error("before", _("Ten dzień już minął."))
        elif after and before and before < after:
            self.add_error("before", _("Data końcowa nie może być wcześniejsza niż początkowa."))
        return cleaned


@require_http_methods(["GET", "POST"])
@clinic_view("patients.change")
def waitlist_add(request):
    provider = request.provider
    form = WaitlistEntryForm(request.POST or None, provider=provider, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        waiting.add_to_waitlist(
            provider,
            actor=request.user,
            patient=form.patient,
            practitioner=c["practitioner"],
            specialization=None if c["practitioner"] else c.get("specialization"),
            after=c["after"],
            before=c["before"],
        )
        messages.success(request, gettext("Zapisano pacjenta na listę rezerwową."))
        return redirect("clinic:queues")
    query = request.GET.get("q", "")
    found = search_patients(provider, query, among=scope.visible_patients(request.membership)) if query else []
    chosen = form.patient.pk if form.patient is not None else None
    return render(
        request,
        "clinic/waitlist_add.html",
        {"form": form, "found": found, "query": query, "chosen": str(chosen or "")},
        status=422 if form.errors else 200,
    )
