from django.contrib import admin

from .models import Location, Membership, Provider, Unit


class LocationInline(admin.TabularInline):
    """Approval and visibility move through the operator's desk and the back-office (state
    machine, audit), never here."""

    model = Location
    extra = 0
    readonly_fields = ["status", "is_visible", "rejection_reason", "requested_at"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    """The identity and its confirmation change through change requests (A2), not here."""

    list_display = ["name", "slug", "is_active"]
    readonly_fields = ["name", "nip", "regon", "data_confirmed_at", "data_confirmed_by"]
    inlines = [LocationInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "department_code", "location", "provider"]
    list_filter = ["provider"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "role"]
    list_filter = ["provider", "role"]
