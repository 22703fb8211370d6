from django.contrib import admin

from .models import Practitioner


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "provider", "pwz", "is_visible_online"]
    list_filter = ["provider", "specializations"]
    search_fields = ["last_name", "first_name", "pwz"]
    filter_horizontal = ["specializations", "units"]
