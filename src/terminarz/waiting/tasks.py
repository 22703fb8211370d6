from django_tasks import task

from terminarz.core.tenancy import system_task


@task()
@system_task
def offer_slot_task(slot_id: int) -> int:
    from .services import offer_slot

    return offer_slot(slot_id)


@task()
@system_task
def match_waitlist_task() -> int:
    from .services import match_waitlist

    return match_waitlist()
