from django_tasks import task

from terminarz.core.tenancy import system_task

from . import services


@task()
@system_task
def extend_slot_horizon_task() -> int:
    return services.extend_horizon()
