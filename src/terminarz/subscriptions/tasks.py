from django_tasks import task

from terminarz.core.tenancy import system_task

from . import services


@task()
@system_task
def expire_subscriptions_task() -> int:
    return services.expire_due()


@task()
@system_task
def subscription_warnings_task() -> int:
    return services.send_warnings()


@task()
@system_task
def issue_missing_invoices_task() -> int:
    return services.issue_missing_invoices()
