from django.contrib import admin

from .models import Appointment, AppointmentTransition


class TransitionInline(admin.TabularInline):
    model = AppointmentTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "at", "actor", "actor_label", "reason"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read-only here: appointment changes go through booking services."""

    list_display = ["start", "practitioner", "unit", "first_name", "last_name", "status", "source", "reference"]
    list_filter = ["provider", "status", "source", "practitioner"]
    date_hierarchy = "start"
    search_fields = ["reference", "last_name"]
    inlines = [TransitionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
