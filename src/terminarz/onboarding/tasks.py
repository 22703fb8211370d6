from django_tasks import task

from terminarz.core.tenancy import system_task

from . import services


@task()
@system_task
def purge_stale_drafts_task() -> int:
    return services.purge_stale_drafts()
