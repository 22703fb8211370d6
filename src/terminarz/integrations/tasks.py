from django_tasks import task

from terminarz.core.tenancy import system_task

from . import services


@task()
@system_task
def check_connections_task() -> int:
    return services.check_connections()


@task()
@system_task
def purge_tokens_task() -> int:
    return services.purge_expired_tokens()


@task()
@system_task
def deliver_webhook_task(delivery_id: int) -> bool:
    from . import webhooks

    return webhooks.deliver(delivery_id)


@task()
@system_task
def deliver_due_webhooks_task() -> int:
    from . import webhooks

    return webhooks.deliver_due()
