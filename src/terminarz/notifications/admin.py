from django.contrib import admin

from .models import Message

# The payload and the rendered text are left out: sign-in codes, visit links and patients'
# details travel in them until delivery. The back-office message log shows what staff need.
SHOWN_FIELDS: list = [
    "created_at",
    "channel",
    "kind",
    "recipient",
    "status",
    "attempts",
    "next_attempt_at",
    "sent_at",
    "last_error",
    "delivery_status",
]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS

    def has_change_permission(self, request, obj=None):
        return False
