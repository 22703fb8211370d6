from django.contrib import admin, messages

from .models import Schedule, ScheduleBlock
from .services import regenerate_schedule


class ScheduleBlockInline(admin.TabularInline):
    model = ScheduleBlock
    extra = 0


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "unit", "valid_from", "valid_to", "is_published_online", "generated_until"]
    list_filter = ["provider", "is_published_online"]
    inlines = [ScheduleBlockInline]
    readonly_fields = ["generated_until"]
    actions = ["regenerate"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        result = regenerate_schedule(form.instance)
        self._report(request, result)

    @admin.action(description="Wygeneruj terminy ponownie")
    def regenerate(self, request, queryset):
        for schedule in queryset:
            self._report(request, regenerate_schedule(schedule))

    def _report(self, request, result):
        self.message_user(
            request,
            f"Terminy: dodano {result.created}, zmieniono {result.updated}, usunięto {result.deleted}.",
        )
        for slot in result.conflicts:
            self.message_user(
                request,
                f"Wizyta {slot.start:%Y-%m-%d %H:%M} nie mieści się w nowym harmonogramie – przenieś ją lub odwołaj.",
                level=messages.WARNING,
            )
