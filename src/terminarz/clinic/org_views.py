"""Org structure (A5, A6) and staff profiles (B2, B3) in the back-office."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from terminarz.catalog.dictionaries import DEPARTMENT_CODES
from terminarz.catalog.models import Service, ServiceGroup
from terminarz.core import audit
from terminarz.core.audit import record_audit
from terminarz.onboarding import changes
from terminarz.onboarding.models import ChangeRequest
from terminarz.onboarding.services import OnboardingError
from terminarz.providers.models import Location, LocationStatus, Unit
from terminarz.providers.services import (
    UNIT_FIELDS,
    OrgError,
    add_location,
    correct_location,
    save_unit,
    set_location_visibility,
    set_opening_hours,
)
from terminarz.providers.voivodeships import VOIVODESHIP_CHOICES
from terminarz.staff.models import Practitioner
from terminarz.staff.pwz import is_valid_pwz

from .access import clinic_view, get_for_provider
from .polish_fields import PostalCodeField

WEEKDAYS = [
    _("poniedziałek"),
    _("wtorek"),
    _("środa"),
    _("czwartek"),
    _("piątek"),
    _("sobota"),
    _("niedziela"),
]


class UnitForm(forms.ModelForm):
    department_code = forms.ChoiceField(
        label=_("Kod resortowy cz. VIII"),
        choices=[("", "—")] + [(code, f"{code} – {name}") for code, name in DEPARTMENT_CODES.items()],
        error_messages={"required": _("Wybierz kod resortowy z listy.")},
    )

    class Meta:
        model = Unit
        fields = list(UNIT_FIELDS)

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.provider = provider
        self.provider = provider
        for name, queryset in (
            ("location", Location.objects.filter(provider=provider)),
            ("parent", Unit.objects.filter(provider=provider).exclude(pk=self.instance.pk)),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
        self.fields["address"].required = True
        self.fields["address"].error_messages["required"] = _("Podaj adres komórki.")

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        clash = Unit.objects.filter(provider=self.provider, code__iexact=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Kod „%(c)s” ma już inna komórka tej placówki.") % {"c": code})
        return code


def _procedure_label(service: Service) -> str:
    return f"{service.name} – {service.group.name}" if service.group else service.name


class PractitionerForm(forms.ModelForm):
    # B2 "Dodaj cały zakres" (seed 000 §4.2.4): every active service of a product group at once.
    whole_groups = forms.ModelMultipleChoiceField(
        label=_("Dodaj cały zakres"),
        required=False,
        queryset=ServiceGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Zaznacz grupę usług (produkt), aby przypisać wszystkie jej aktywne usługi naraz."),
    )

    class Meta:
        model = Practitioner
        fields = [
            "title",
            "first_name",
            "last_name",
            "staff_type",
            "pwz",
            "specializations",
            "description",
            "callcenter_description",
            "languages",
            "procedures",
            "photo",
            "units",
            "is_visible_online",
            "in_aggregators",
            "online_booking_for",
        ]
        widgets = {
            "specializations": forms.CheckboxSelectMultiple,
            "units": forms.CheckboxSelectMultiple,
            "procedures": forms.CheckboxSelectMultiple,
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "callcenter_description": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"units": _("Komórki, w których przyjmuje (widoczne online)")}

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.provider = provider
        units = self.fields["units"]
        assert isinstance(units, forms.ModelMultipleChoiceField)
        units.queryset = Unit.objects.filter(provider=provider)
        procedures = self.fields["procedures"]
        assert isinstance(procedures, forms.ModelMultipleChoiceField)
        procedures.queryset = (
            Service.objects.filter(provider=provider, is_active=True).select_related("group").order_by("name")
        )
        procedures.label_from_instance = _procedure_label  # type: ignore[method-assign,assignment]
        whole_groups = self.fields["whole_groups"]
        assert isinstance(whole_groups, forms.ModelMultipleChoiceField)
        whole_groups.queryset = (
            ServiceGroup.objects.filter(provider=provider, services__is_active=True).distinct().order_by("name")
        )
        names = list(self.Meta.fields)
        self.order_fields([*names[: names.index("procedures") + 1], "whole_groups"])
        self.fields["specializations"].error_messages["required"] = _("Wybierz co najmniej jedną specjalizację.")

    def clean(self):
        cleaned = super().clean() or {}
        pwz = (cleaned.get("pwz") or "").strip()
        if cleaned.get("staff_type") == Practitioner.StaffType.DOCTOR:
            if not pwz:
                self.add_error("pwz", _("Podaj numer prawa wykonywania zawodu lekarza."))
            elif not is_valid_pwz(pwz):
                self.add_error("pwz", _("Nieprawidłowy numer PWZ – 7 cyfr, pierwsza jest cyfrą kontrolną."))
        cleaned["pwz"] = pwz
        groups = cleaned.get("whole_groups")
        if groups:
            chosen = {service.pk for service in cleaned.get("procedures") or []}
            whole = Service.objects.filter(group__in=groups, is_active=True).values_list("pk", flat=True)
            cleaned["procedures"] = Service.objects.filter(pk__in=chosen | set(whole))
        return cleaned


class LocationForm(forms.Form):
    name = forms.CharField(label=_("Nazwa lokalizacji"), max_length=200)
    street = forms.CharField(label=_("Ulica i numer"), max_length=200)
    postal_code = PostalCodeField(label=_("Kod pocztowy"))
    city = forms.CharField(label=_("Miejscowość"), max_length=100)
    voivodeship = forms.ChoiceField(label=_("Województwo"), choices=[("", "—"), *VOIVODESHIP_CHOICES])


@clinic_view("org.view")
def org_structure(request):
    locations = list(Location.objects.filter(provider=request.provider).prefetch_related("units__opening_hours"))
    pending = {
        change.location_id: change
        for change in ChangeRequest.objects.filter(provider=request.provider, status="pending", location__isnull=False)
    }
    for location in locations:
        location.pending_change = pending.get(location.pk)  # type: ignore[attr-defined]
    return render(request, "clinic/org.html", {"locations": locations, "weekdays": WEEKDAYS})


@require_http_methods(["GET", "POST"])
@clinic_view("org.change")
def location_edit(request, location_id: int | None = None):
    """A5 "Dodaj" a location (it waits for the operator), or correct one: in place while it is
    not approved, through a change request (A2) once it is."""
    location = get_for_provider(Location.objects.all(), request.provider, location_id) if location_id else None
    initial = {name: getattr(location, name) for name in LocationForm.base_fields} if location else {}
    form = LocationForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if location is None:
                add_location(request.provider, form.cleaned_data, actor=request.user)
                messages.success(
                    request,
                    gettext(
                        "Dodano lokalizację. Czeka na zatwierdzenie przez operatora – "
                        "do tego czasu nie jest widoczna w portalu."
                    ),
                )
            elif location.status != LocationStatus.APPROVED:
                correct_location(location, form.cleaned_data, actor=request.user)
                messages.success(request, gettext("Zapisano lokalizację. Czeka na zatwierdzenie przez operatora."))
            elif changes.request_location_change(location, form.cleaned_data, actor=request.user) is None:
                messages.success(request, gettext("Dane się nie zmieniły – nie ma czego wysyłać."))
            else:
                messages.success(
                    request, gettext("Wysłano wniosek o zmianę adresu. Zmieni się po zatwierdzeniu przez operatora.")
                )
            return redirect("clinic:org")
        except (OrgError, OnboardingError) as error:
            form.add_error(None, error.message)
    return render(
        request,
        "clinic/location_form.html",
        {"form": form, "location": location},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@clinic_view("org.change")
def unit_edit(request, unit_id: int | None = None):
    unit = get_for_provider(Unit.objects.all(), request.provider, unit_id) if unit_id is not None else Unit()
    form = UnitForm(request.POST or None, instance=unit, provider=request.provider)
    if request.method == "POST" and form.is_valid():
        save_unit(form.save(commit=False), actor=request.user, created=unit_id is None)
        messages.success(request, gettext("Zapisano komórkę organizacyjną."))
        return redirect("clinic:org")
    return render(request, "clinic/unit_form.html", {"form": form, "unit": unit}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@clinic_view("org.change")
def unit_hours(request, unit_id: int):
    unit = get_for_provider(Unit.objects.all(), request.provider, unit_id)
    errors: dict[int, str] = {}
    current = {h.weekday: h for h in unit.opening_hours.all()}
    if request.method == "POST":
        hours: dict[int, tuple[dt.time, dt.time] | None] = {}
        copy_from = request.POST.get("copy_from", "")
        for day in range(7):
            source = int(copy_from) if copy_from in {"0", "1", "2", "3", "4", "5", "6"} and day < 5 else day
            opens, closes = request.POST.get(f"opens-{source}", ""), request.POST.get(f"closes-{source}", "")
            if not opens and not closes:
                hours[day] = None
                continue
            try:
                span = (dt.time.fromisoformat(opens), dt.time.fromisoformat(closes))
            except ValueError:
                errors[day] = gettext("Podaj obie godziny w formacie GG:MM.")
                continue
            if span[1] <= span[0]:
                errors[day] = gettext("Godzina zamknięcia musi być po godzinie otwarcia.")
                continue
            hours[day] = span
        if not errors:
            set_opening_hours(unit, hours, actor=request.user)
            messages.success(request, gettext("Zapisano godziny otwarcia."))
            return redirect("clinic:org")
    rows = [
        {
            "day": day,
            "name": WEEKDAYS[day],
            "opens": request.POST.get(f"opens-{day}")
            if request.method == "POST"
            else current.get(day) and current[day].opens,
            "closes": request.POST.get(f"closes-{day}")
            if request.method == "POST"
            else current.get(day) and current[day].closes,
            "error": errors.get(day),
        }
        for day in range(7)
    ]
    return render(request, "clinic/unit_hours.html", {"unit": unit, "rows": rows}, status=422 if errors else 200)


@require_POST
@clinic_view("org.change")
def location_visibility(request, location_id: int):
    location = get_for_provider(Location.objects.all(), request.provider, location_id)
    try:
        set_location_visibility(location, request.POST.get("visible") == "1", actor=request.user)
        messages.success(request, gettext("Zapisano widoczność lokalizacji."))
    except OrgError as exc:
        messages.error(request, exc.message)
    return redirect("clinic:org")


@clinic_view("org.view")
def staff_list(request):
    practitioners = (
        Practitioner.objects.filter(provider=request.provider)
        .prefetch_related("specializations", "units")
        .order_by("last_name", "first_name")
    )
    return render(request, "clinic/staff.html", {"practitioners": practitioners})


@require_http_methods(["GET", "POST"])
@clinic_view("staff.change")
def practitioner_edit(request, practitioner_id: int | None = None):
    practitioner = (
        get_for_provider(Practitioner.objects.all(), request.provider, practitioner_id)
        if practitioner_id is not None
        else Practitioner()
    )
    form = PractitionerForm(
        request.POST or None, request.FILES or None, instance=practitioner, provider=request.provider
    )
    if request.method == "POST" and form.is_valid():
        fields = PractitionerForm.Meta.fields
        with transaction.atomic():
            before = audit.stored_snapshot(practitioner, fields)
            saved = form.save()
            record_audit(
                provider_id=request.provider.pk,
                action="practitioner.created" if practitioner_id is None else "practitioner.changed",
                target=saved,
                summary=(
                    gettext("Dodano personel: %(name)s")
                    if practitioner_id is None
                    else gettext("Zmieniono personel: %(name)s")
                )
                % {"name": saved.full_name},
                actor=request.user,
                changes=audit.diff(before, audit.snapshot(saved, fields)),
            )
        messages.success(request, gettext("Zapisano dane personelu."))
        return redirect("clinic:staff")
    return render(
        request,
        "clinic/practitioner_form.html",
        {"form": form, "practitioner": practitioner},
        status=422 if form.errors else 200,
    )
