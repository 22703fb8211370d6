from django.contrib import admin

from .models import TermsAcceptance, TermsDocument


@admin.register(TermsDocument)
class TermsDocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "version", "effective_from")


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(admin.ModelAdmin):
    list_display = ("document", "booking_reference", "channel", "accepted_at")
    readonly_fields = ("document", "user", "booking_reference", "channel", "accepted_at")
