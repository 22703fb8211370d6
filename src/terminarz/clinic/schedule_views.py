"""Schedule editor (C1–C3) in the back-office."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from terminarz.booking import services as booking
from terminarz.catalog.models import Payer, PayerService, ServiceGroup
from terminarz.core import clock
from terminarz.providers.models import Unit
from terminarz.scheduling.editing import (
    add_blocks,
    check_blocks,
    copy_block,
    describe_block,
    preview_schedule,
    remove_block,
    save_schedule,
)
from terminarz.scheduling.models import Financing, Schedule, ScheduleBlock, Slot
from terminarz.scheduling.publication import PublicationRefused
from terminarz.scheduling.services import SLOT_OPTION_FIELDS
from terminarz.staff.models import Practitioner

from . import scope
from .access import clinic_view, get_for_provider
from .calendar_views import calendar_url, day_url


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = ["practitioner", "unit", "valid_from", "valid_to", "description", "is_published_online"]
        widgets = {
            "valid_from": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "valid_to": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        }

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.provider = provider
        for name, queryset in (
            ("practitioner", Practitioner.objects.filter(provider=provider)),
            ("unit", Unit.objects.filter(provider=provider)),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("valid_to") and cleaned.get("valid_from") and cleaned["valid_to"] < cleaned["valid_from"]:
            self.add_error("valid_to", _("Koniec obowiązywania nie może być przed jego początkiem."))
        return cleaned


class BlockForm(forms.ModelForm):
    """One block of the week, shown as a card with a visible label on each control. A private
    block may name insurer payers and the price-list groups they may book in it (G6, seed 001
    §11.4): only groups holding at least one service overridden to a chosen payer's list."""

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        payers = Payer.objects.filter(provider=provider, is_active=True).order_by("name")
        if provider is None or not payers.exists():
            del self.fields["payers"]
            del self.fields["payer_groups"]
            return
        payers_field = self.fields["payers"]
        groups_field = self.fields["payer_groups"]
        assert isinstance(payers_field, forms.ModelMultipleChoiceField)
        assert isinstance(groups_field, forms.ModelMultipleChoiceField)
        payers_field.queryset = payers
        groups_field.queryset = (
            ServiceGroup.objects.filter(
                provider=provider, services__overrides__payer__in=payers, services__is_active=True
            )
            .distinct()
            .order_by("name")
        )
        payers_field.help_text = gettext("Tylko w bloku wizyt prywatnych (bez NFZ).")
        groups_field.help_text = gettext("Grupy z co najmniej jedną usługą nadpisaną do cennika płatnika.")

    def clean(self):
        cleaned = super().clean() or {}
        payers = list(cleaned.get("payers") or [])
        groups = list(cleaned.get("payer_groups") or [])
        if payers and cleaned.get("financing") == Financing.NFZ:
            self.add_error("payers", _("Płatników można wskazać tylko w bloku wizyt prywatnych – odznacz NFZ."))
        if payers and not groups and "payer_groups" not in self.errors:
            self.add_error("payer_groups", _("Wybierz grupy usług, które płatnicy mogą umawiać w tym bloku."))
        if groups and not payers and "payers" not in self.errors:
            self.add_error("payers", _("Wybierz płatników, dla których udostępniasz te usługi."))
        for group in groups:
            if payers and not PayerService.objects.filter(payer__in=payers, service__group=group).exists():
                self.add_error(
                    "payer_groups",
                    _("Grupa „%(group)s” nie ma usług nadpisanych do cennika wybranych płatników.")
                    % {"group": group.name},
                )
        return cleaned


class BaseBlockFormSet(BaseInlineFormSet):
    pass


BlockFormSet = inlineformset_factory(
    Schedule,
    ScheduleBlock,
    form=BlockForm,
    formset=BaseBlockFormSet,
    fields=[
        "weekday",
        "start_time",
        "end_time",
        "slot_minutes",
        *SLOT_OPTION_FIELDS,
        "requirement_text",
        "payers",
        "payer_groups",
    ],
    widgets={
        "payers": forms.CheckboxSelectMultiple,
        "payer_groups": forms.CheckboxSelectMultiple,
        "start_time": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        "end_time": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        "requirement_text": forms.Textarea(attrs={"rows": 1}),
    },
    extra=1,
    can_delete=True,
)


@clinic_view("schedules.view")
def schedule_list(request):
    schedules = (
        Schedule.objects.filter(provider=request.provider)
        .select_related("practitioner", "unit")
        .prefetch_related("blocks")
        .order_by("practitioner__last_name", "valid_from")
    )
    return render(request, "clinic/schedules.html", {"schedules": schedules})


@require_http_methods(["GET", "POST"])
@clinic_view("schedules.change")
def schedule_edit(request, schedule_id: int | None = None):
    schedule = (
        get_for_provider(Schedule.objects.all(), request.provider, schedule_id)
        if schedule_id is not None
        else Schedule(provider=request.provider, valid_from=clock.local_today())
    )
    form = ScheduleForm(request.POST or None, instance=schedule, provider=request.provider)
    weekly = ScheduleBlock.objects.filter(schedule=schedule, date__isnull=True) if schedule.pk else None
    formset = BlockFormSet(
        request.POST or None,
        instance=schedule,
        prefix="bloki",
        queryset=weekly,
        form_kwargs={"provider": request.provider},
    )
    block_errors: list[str] = []
    result = None
    preview = None
    shown_blocks: list[ScheduleBlock] = list(weekly) if weekly is not None else []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        candidate = form.save(commit=False)
        blocks = [f.save(commit=False) for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        shown_blocks = [b for b in blocks if b.date is None]
        if schedule.pk:
            blocks += list(ScheduleBlock.objects.filter(schedule=schedule, date__isnull=False))
        block_errors = check_blocks(candidate, blocks)
        if not block_errors and request.POST.get("action") == "preview":
            # Nothing is written: the editor shows what saving would do to the slots.
            preview = preview_schedule(candidate, blocks, today=clock.local_today())
        elif not block_errors:
            try:
                result = save_schedule(candidate, formset, actor=request.user)
            except PublicationRefused as refused:  # A4: the subscription's quota
                form.add_error("is_published_online", refused.message)
                result = None
        if result is not None:
            messages.success(
                request,
                gettext(
                    "Zapisano harmonogram. Terminy: dodano %(created)d, zmieniono %(updated)d, usunięto %(deleted)d."
                )
                % {"created": result.created, "updated": result.updated, "deleted": result.deleted},
            )
            if not result.conflicts:
                return redirect("clinic:schedule", schedule_id=candidate.pk)
            schedule = candidate
            form = ScheduleForm(instance=schedule, provider=request.provider)
            formset = BlockFormSet(
                instance=schedule,
                prefix="bloki",
                form_kwargs={"provider": request.provider},
                queryset=ScheduleBlock.objects.filter(schedule=schedule, date__isnull=True),
            )
    conflicts = []
    if result is not None:
        conflicts = list(
            Slot.objects.filter(pk__in=[s.pk for s in result.conflicts])
            .prefetch_related("appointments")
            .order_by("start")
        )
    # Visits that fall outside name their patients only to someone who may see this
    # practitioner's calendar (a colleague's, through a grant, is audited); to anyone else who
    # may edit schedules they are times only.
    sees_patients = False
    if (preview is not None and preview.conflicts) or conflicts:
        practitioner_id = schedule.practitioner_id
        sees_patients = scope.visible_practitioners(request.membership).filter(pk=practitioner_id).exists()
        if sees_patients:
            scope.audit_calendars_read(
                request, [practitioner_id], gettext("wizyty poza harmonogramem"), target=schedule
            )
    invalid = request.method == "POST" and result is None and preview is None
    context = {
        "schedule": schedule,
        "form": form,
        "formset": formset,
        "block_errors": block_errors,
        "conflicts": conflicts,
        "preview": preview,
        "sees_patients": sees_patients,
        # Weekdays the change touches, named (a cycle in the template lost count of the days).
        "preview_rows": [
            (ScheduleBlock.Weekday(weekday).label, made, gone)
            for weekday, made, gone in (preview.by_weekday if preview else [])
            if made or gone
        ],
        "week": week_picture(shown_blocks),
    }
    if schedule.pk:
        context.update(
            extra_blocks=ScheduleBlock.objects.filter(schedule=schedule, date__isnull=False).order_by(
                "date", "start_time"
            ),
            weekly_blocks=ScheduleBlock.objects.filter(schedule=schedule, date__isnull=True),
            extra_form=ExtraHoursForm(),
            weekdays=ScheduleBlock.Weekday.choices,
        )
    return render(request, "clinic/schedule_form.html", context, status=422 if invalid else 200)


WEEKDAY_SHORT = [_("pon"), _("wt"), _("śr"), _("czw"), _("pt"), _("sob"), _("nd")]


def week_picture(blocks: list[ScheduleBlock]) -> dict:
    """The weekly blocks drawn on a week (rows of 15 minutes), for the editor's picture."""
    timed = [b for b in blocks if b.start_time and b.end_time and b.weekday is not None]
    first = min([8, *(b.start_time.hour for b in timed)])
    last = max([16, *(b.end_time.hour + (1 if b.end_time.minute else 0) for b in timed)])
    days: list[list[dict]] = [[] for _ in range(7)]
    for number, block in enumerate(blocks, start=1):
        if block not in timed:
            continue
        start = (block.start_time.hour - first) * 60 + block.start_time.minute
        end = (block.end_time.hour - first) * 60 + block.end_time.minute
        days[block.weekday].append(
            {"number": number, "block": block, "row": start // 15 + 1, "span": max(1, (end - start) // 15)}
        )
    return {
        "days": list(zip(WEEKDAY_SHORT, days, strict=True)),
        "rows": (last - first) * 4,
        "hours": [(h, (h - first) * 4 + 1) for h in range(first, last)],
    }


class ExtraHoursForm(forms.ModelForm):
    """Exception "dodatkowe godziny": a block on one date."""

    class Meta:
        model = ScheduleBlock
        fields = ["date", "start_time", "end_time", "slot_minutes", "financing", "televisit"]
        widgets = {
            "date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "start_time": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
            "end_time": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].required = True
        self.fields["date"].label = _("Dzień")


def _report(request, errors: list[str], result, done: str) -> None:
    if errors:
        for error in errors:
            messages.error(request, error)
        return
    messages.success(
        request,
        gettext("%(done)s Terminy: dodano %(created)d, usunięto %(deleted)d.")
        % {"done": done, "created": result.created, "deleted": result.deleted},
    )
    for slot in result.conflicts:
        when = f"{timezone.localtime(slot.start):%d.%m.%Y %H:%M}"
        messages.warning(
            request,
            gettext("Wizyta %(when)s pozostała poza harmonogramem – przenieś ją lub odwołaj.") % {"when": when},
        )


@require_POST
@clinic_view("schedules.change")
def schedule_extra_hours(request, schedule_id: int):
    schedule = get_for_provider(Schedule.objects.all(), request.provider, schedule_id)
    form = ExtraHoursForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(
                    request,
                    gettext("Dodatkowe godziny – %(label)s: %(error)s") % {"label": label, "error": error}
                    if label
                    else str(error),
                )
        return redirect("clinic:schedule", schedule_id=schedule.pk)
    block = form.save(commit=False)
    errors, result = add_blocks(
        schedule,
        [block],
        actor=request.user,
        action="schedule.extra_hours",
        what=gettext("dodatkowe godziny %(block)s") % {"block": describe_block(block)},
    )
    _report(
        request,
        errors,
        result,
        gettext("Dodano dodatkowe godziny %(block)s.") % {"block": describe_block(block)},
    )
    return redirect("clinic:schedule", schedule_id=schedule.pk)


@require_POST
@clinic_view("schedules.change")
def schedule_block_copy(request, schedule_id: int):
    schedule = get_for_provider(Schedule.objects.all(), request.provider, schedule_id)
    block = ScheduleBlock.objects.filter(
        schedule=schedule, date__isnull=True, pk=_int(request.POST.get("block")) or 0
    ).first()
    weekdays = [int(d) for d in request.POST.getlist("weekdays") if d in {"0", "1", "2", "3", "4", "5", "6"}]
    if block is None or not weekdays:
        messages.error(request, gettext("Wybierz blok i co najmniej jeden dzień, na który go skopiować."))
        return redirect("clinic:schedule", schedule_id=schedule.pk)
    errors, result = copy_block(schedule, block, weekdays, actor=request.user)
    _report(request, errors, result, gettext("Skopiowano blok %(block)s.") % {"block": describe_block(block)})
    return redirect("clinic:schedule", schedule_id=schedule.pk)


@require_POST
@clinic_view("schedules.change")
def schedule_block_remove(request, schedule_id: int, block_id: int):
    schedule = get_for_provider(Schedule.objects.all(), request.provider, schedule_id)
    block = ScheduleBlock.objects.filter(schedule=schedule, date__isnull=False, pk=block_id).first()
    if block is None:
        raise Http404
    what = describe_block(block)
    result = remove_block(schedule, block, actor=request.user)
    _report(request, [], result, gettext("Usunięto dodatkowe godziny %(block)s.") % {"block": what})
    return redirect("clinic:schedule", schedule_id=schedule.pk)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_POST
@clinic_view("schedules.change")
def schedule_day_off(request, schedule_id: int):
    schedule = get_for_provider(Schedule.objects.all(), request.provider, schedule_id)
    try:
        day = dt.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        messages.error(request, gettext("Podaj datę dnia wolnego."))
        return redirect("clinic:schedule", schedule_id=schedule.pk)
    conflicts = booking.day_off(schedule, day, actor=request.user)
    messages.success(request, gettext("Dzień wolny %(day)s: wolne terminy zablokowane.") % {"day": f"{day:%d.%m.%Y}"})
    for slot in conflicts:
        messages.warning(
            request,
            gettext("Wizyta o %(time)s pozostała – przenieś ją lub odwołaj.")
            % {"time": f"{timezone.localtime(slot.start):%H:%M}"},
        )
    return redirect(calendar_url(schedule.practitioner_id, day))


@require_POST
@clinic_view("schedules.change")
def slot_block(request, slot_id: int):
    slot = get_for_provider(Slot.objects.all(), request.provider, slot_id)
    blocked = request.POST.get("blocked") == "1"
    if not booking.set_slot_blocked(slot, blocked, actor=request.user):
        messages.error(request, gettext("Tego terminu nie można teraz zmienić (zajęty lub miniony)."))
    return redirect(day_url(slot))
