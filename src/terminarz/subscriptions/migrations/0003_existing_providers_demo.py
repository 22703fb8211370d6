"""A4 rollout: providers already on the platform when subscriptions arrived keep their online
registration as the demo period – 3 months from today for the schedules they publish now (at
least one) – and are warned before it ends like everyone else."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def demo_for_existing(apps, schema_editor):
    Provider = apps.get_model("providers", "Provider")
    Schedule = apps.get_model("scheduling", "Schedule")
    Subscription = apps.get_model("subscriptions", "Subscription")
    now = timezone.now()
    today = timezone.localdate(now)
    with_subscription = Subscription._default_manager.values_list("provider_id", flat=True)
    for provider in Provider._default_manager.exclude(pk__in=with_subscription):
        published = (
            Schedule._default_manager.filter(provider=provider, is_published_online=True)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .count()
        )
        Subscription._default_manager.create(
            provider=provider,
            kind="demo",
            quantity=min(500, max(1, published)),
            status="active",
            valid_from=today,
            valid_to=today + relativedelta(months=3),
            ordered_at=now,
            activated_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0002_subscription_invoice_decided"),
        ("scheduling", "0009_block_payers"),
        ("providers", "0015_provider_suspended_at_provider_suspended_reason"),
    ]

    operations = [migrations.RunPython(demo_for_existing, migrations.RunPython.noop)]
