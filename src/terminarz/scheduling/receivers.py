"""Search's cached id lookups (practitioners of a specialization, units of a city, providers with
registration off) are dropped when what they are computed from changes, instead of waiting for
their (long) lifetime. Changes go through `save()` (a queryset `update()` would not be heard)."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from terminarz.catalog.models import Payer, Service, Specialization
from terminarz.providers.models import Location, Provider, RegistrationSettings, Unit
from terminarz.staff.models import Practitioner

from .models import Schedule
from .search import invalidate_lookups

WATCHED = (Provider, Location, Unit, Practitioner, Schedule, RegistrationSettings, Specialization, Service, Payer)


def _changed(sender, **kwargs) -> None:
    # Now, and again once the change commits: a search between the two reads the old rows and
    # may cache them under the new version; the second bump makes that entry unreachable.
    invalidate_lookups()
    transaction.on_commit(invalidate_lookups)


def connect() -> None:
    for model in WATCHED:
        post_save.connect(_changed, sender=model, dispatch_uid=f"search-lookups-save-{model._meta.label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"search-lookups-delete-{model._meta.label}")
    m2m_changed.connect(
        _changed, sender=Practitioner.specializations.through, dispatch_uid="search-lookups-specializations"
    )
    m2m_changed.connect(_changed, sender=Practitioner.procedures.through, dispatch_uid="search-lookups-procedures")
