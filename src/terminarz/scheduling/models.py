from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from terminarz.core.tenancy import TenantManager
from terminarz.providers.models import Provider, Unit
from terminarz.staff.models import Practitioner


class Financing(models.TextChoices):
    NFZ = "nfz", _("NFZ")
    PRIVATE = "private", _("prywatnie")


class Children(models.TextChoices):
    ANY = "", _("bez podziału")
    HEALTHY = "healthy", _("dzieci zdrowe")
    SICK = "sick", _("dzieci chore")


class Televisit(models.TextChoices):
    NO = "no", _("tylko w gabinecie")
    POSSIBLE = "possible", _("teleporada możliwa")
    ONLY = "only", _("tylko teleporada")


class Schedule(models.Model):
    """Harmonogram: a practitioner's weekly pattern in a unit, valid for a date range."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="schedules")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("personel medyczny")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("komórka organizacyjna")
    )
    valid_from = models.DateField(_("obowiązuje od"))
    valid_to = models.DateField(_("obowiązuje do"), null=True, blank=True)
    description = models.CharField(_("opis"), max_length=300, blank=True)
    is_published_online = models.BooleanField(_("publikowany online"), default=True)
    generated_until = models.DateField(_("terminy wygenerowane do"), null=True, blank=True)

    class Meta:
        verbose_name = _("harmonogram")
        verbose_name_plural = _("harmonogramy")
        ordering = ["provider", "practitioner", "valid_from"]

    def __str__(self) -> str:
        return f"{self.practitioner} – {self.unit} (od {self.valid_from})"


class ScheduleBlock(models.Model):
    """A weekly time block of a schedule, in the location's wall-clock time."""

    class Weekday(models.IntegerChoices):
        MON = 0, _("poniedziałek")
        TUE = 1, _("wtorek")
        WED = 2, _("środa")
        THU = 3, _("czwartek")
        FRI = 4, _("piątek")
        SAT = 5, _("sobota")
        SUN = 6, _("niedziela")

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="blocks")
    weekday = models.PositiveSmallIntegerField(_("dzień tygodnia"), choices=Weekday.choices)
    # Set for extra hours (exception): the block applies on this one day only.
    date = models.DateField(_("tylko w dniu"), null=True, blank=True)
    start_time = models.TimeField(_("od"))
    end_time = models.TimeField(_("do"))
    slot_minutes = models.PositiveSmallIntegerField(_("długość wizyty (min)"), default=15)
    financing = models.CharField(_("finansowanie"), max_length=10, choices=Financing.choices, default=Financing.PRIVATE)
    first_visit_only = models.BooleanField(_("tylko wizyty pierwszorazowe"), default=False)
    followup_only = models.BooleanField(_("tylko wizyty kolejne"), default=False)
    callcenter_only = models.BooleanField(_("widoczne tylko w CallCenter"), default=False)
    first_free_only = models.BooleanField(_("wybieraj pierwszy wolny termin"), default=False)
    children = models.CharField(_("dzieci"), max_length=10, choices=Children.choices, default=Children.ANY, blank=True)
    televisit = models.CharField(_("teleporada"), max_length=10, choices=Televisit.choices, default=Televisit.NO)
    requirement_text = models.TextField(_("wymagania dla pacjenta"), blank=True)
    # G6 (seed 001 §11.4): a private block may be offered to insurer payers, with the price-list
    # groups (holding overridden services) they may book in it.
    payers = models.ManyToManyField("catalog.Payer", blank=True, related_name="blocks", verbose_name=_("Płatnicy"))
    payer_groups = models.ManyToManyField(
        "catalog.ServiceGroup", blank=True, related_name="blocks", verbose_name=_("Usługi (grupy cennika)")
    )

    class Meta:
        verbose_name = _("blok harmonogramu")
        verbose_name_plural = _("bloki harmonogramu")
        ordering = ["schedule", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="block_ends_after_start",
                violation_error_message=_("Blok kończy się przed rozpoczęciem – popraw godziny."),
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5),
                name="block_slot_min_5",
                violation_error_message=_("Wizyta musi trwać co najmniej 5 minut."),
            ),
        ]

    def __str__(self) -> str:
        when = f"{self.date:%d.%m.%Y}" if self.date else self.get_weekday_display()
        return f"{when} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class SlotState(models.TextChoices):
    FREE = "free", _("wolny")
    HELD = "held", _("wstępnie zarezerwowany")
    BOOKED = "booked", _("zajęty")
    BLOCKED = "blocked", _("zablokowany")


class Slot(models.Model):
    """A bookable time (kostka). Only booking.capacity changes its state.

    provider, practitioner and unit are copies of the schedule's (for search); the schedule FK
    carries the integrity, so the copies skip their own constraints and indexes: slot rows are
    written in bulk and every extra index or FK trigger costs on each of millions of rows."""

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="slots", db_constraint=False, db_index=False
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="slots", db_constraint=False, db_index=False)
    # Indexed by the (schedule, start) unique constraint; deletes cascade through the ORM.
    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="slots", db_index=False, db_constraint=False
    )
    block = models.ForeignKey(
        ScheduleBlock,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="slots",
        db_constraint=False,
        db_index=False,
    )
    start = models.DateTimeField(_("początek"))
    end = models.DateTimeField(_("koniec"))
    day = models.DateField(_("dzień (czas lokalny)"))
    financing = models.CharField(max_length=10, choices=Financing.choices)
    first_visit_only = models.BooleanField(default=False)
    followup_only = models.BooleanField(default=False)
    callcenter_only = models.BooleanField(default=False)
    first_free_only = models.BooleanField(default=False)
    children = models.CharField(max_length=10, choices=Children.choices, default=Children.ANY, blank=True)
    televisit = models.CharField(max_length=10, choices=Televisit.choices, default=Televisit.NO)
    # Offered online: schedule published online, not call-center-only, not a children's block.
    portal = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=SlotState.choices, default=SlotState.FREE)
    hold_until = models.DateTimeField(null=True, blank=True)
    # A booked slot that no longer fits its schedule after a change (C3 conflict).
    out_of_schedule = models.BooleanField(default=False)
    # When its state or offer last changed (made, taken, freed, blocked, moved off the portal):
    # what a feed asked `_since` a moment lists. A hold running out changes nothing here – a
    # reader counts `hold_until` too.
    changed_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("termin")
        verbose_name_plural = _("terminy")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "start"], name="slot_unique_start"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="slot_end_after_start"),
        ]
        indexes = [
            # All states: the back-office calendar reads booked and blocked slots too.
            models.Index(fields=["practitioner", "start"], name="slot_practitioner_start"),
            models.Index(
                fields=["start", "id"],
                name="slot_open_portal_by_start",
                condition=Q(state__in=["free", "held"], portal=True),
            ),
            # first-free-slot-only: "is there an earlier open slot in this schedule's day?"
            models.Index(
                fields=["schedule", "day", "start"],
                name="slot_first_free_schedule_day",
                condition=Q(first_free_only=True),
            ),
            models.Index(fields=["changed_at"], name="slot_changed_at"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.start:%Y-%m-%d %H:%M}"
