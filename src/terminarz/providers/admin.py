from django.contrib import admin

from .models import Location, Membership, Provider, Unit


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active"]
    inlines = [LocationInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "department_code", "location", "provider"]
    list_filter = ["provider"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "role"]
    list_filter = ["provider", "role"]
