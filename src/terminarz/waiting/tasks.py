from django_tasks import task


@task()
def offer_slot_task(slot_id: int) -> int:
    from .services import offer_slot

    return offer_slot(slot_id)


@task()
def match_waitlist_task() -> int:
    from .services import match_waitlist

    return match_waitlist()
