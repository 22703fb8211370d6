from django.contrib import admin

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]

    def has_change_permission(self, request, obj=None):
        return False
