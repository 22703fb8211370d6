from django_tasks import task


@task()
def offer_slot_task(slot_id: int) -> int:
    from .services import offer_slot

    return offer_slot(slot_id)


@task()
def match_waitlist_task() -> int:
    from .services import match_waitlist

    return match_waitlist()


def offer_when_committed(slot_id: int) -> None:
    """Called inside the transaction that freed a slot: offer it once that commits."""
    from django.db import transaction

    transaction.on_commit(lambda: offer_slot_task.enqueue(slot_id))
