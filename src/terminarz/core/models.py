from django.db import models

from .tenancy import TenantManager


class PeriodicRun(models.Model):
    """Last run of a periodic job; the scheduler claims a run with a conditional update."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """A8: who did what to which object of a provider, when, with before/after values."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="audit_entries")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    actor_label = models.CharField(max_length=100)
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=50, blank=True)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["provider", "-at"], name="audit_provider_at"),
            # A8 "filter by object": one object's history, and the kinds of objects logged.
            models.Index(fields=["provider", "object_type", "object_id"], name="audit_provider_object"),
        ]

    def __str__(self) -> str:
        return self.summary


class StateTransition(models.Model):
    """One status change of an object under `core.statemachine` (who, when, why)."""

    model = models.CharField(max_length=60)  # app_label.model_name
    object_id = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="state_transitions"
    )
    actor_label = models.CharField(max_length=100)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["model", "object_id", "at"], name="transition_object_at")]

    def __str__(self) -> str:
        return f"{self.model}#{self.object_id}: {self.from_state or '∅'} → {self.to_state}"
