"""The operator's part of G3 (until the operator's own screens, issue 14): in the platform's
admin the operator loads the location code an insurer supplied; the status is recomputed by
`services.enter_operator_code`, recorded and audited like the provider's entries."""

from django import forms
from django.contrib import admin

from . import services
from .models import Insurer, InsurerMembership, InsurerTerms, LocationCode


class LocationCodeForm(forms.ModelForm):
    class Meta:
        model = LocationCode
        fields = ["provider", "insurer", "location", "operator_code"]

    def clean_operator_code(self):
        try:
            return services.clean_code(self.cleaned_data.get("operator_code", "").strip())
        except services.CooperationError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self):
        cleaned = super().clean() or {}
        location, provider = cleaned.get("location"), cleaned.get("provider")
        if location is not None and provider is not None and location.provider_id != provider.pk:
            self.add_error("location", "Ta lokalizacja należy do innej placówki.")
        return cleaned


@admin.register(Insurer)
class InsurerAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(InsurerTerms)
class InsurerTermsAdmin(admin.ModelAdmin):
    list_display = ("insurer", "kind", "title", "version", "effective_from")
    list_filter = ("kind",)


@admin.register(LocationCode)
class LocationCodeAdmin(admin.ModelAdmin):
    list_display = ("insurer", "location", "status", "operator_at", "provider_at")
    list_filter = ("insurer", "status")
    form = LocationCodeForm
    fields = ("provider", "insurer", "location", "operator_code", "status")
    readonly_fields = ("status",)

    def get_queryset(self, request):
        return LocationCode.unscoped.select_related("insurer", "location")

    def save_model(self, request, obj, form, change):
        code = services.enter_operator_code(
            obj.provider_id, obj.insurer, obj.location_id, form.cleaned_data["operator_code"], actor=request.user
        )
        obj.pk = code.pk


@admin.register(InsurerMembership)
class InsurerMembershipAdmin(admin.ModelAdmin):
    """The operator gives an insurer's people access to its desk (`/ubezpieczyciel/`)."""

    list_display = ("user", "insurer", "role", "is_active")
    list_filter = ("insurer", "role", "is_active")
    raw_id_fields = ("user",)
