from django_tasks import task

from terminarz.core.tenancy import system_task

from . import services


@task()
@system_task
def deliver_message_task(message_id: int) -> str:
    return services.deliver_message(message_id)


@task()
@system_task
def deliver_due_messages_task() -> int:
    return services.deliver_due_messages()
