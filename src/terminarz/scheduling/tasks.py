from django_tasks import task

from . import services


@task()
def extend_slot_horizon_task() -> int:
    return services.extend_horizon()
