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
