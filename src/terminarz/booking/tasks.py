from django_tasks import task

from terminarz.core import clock
from terminarz.core.tenancy import system_task

from .models import Appointment, AppointmentStatus
from .pipeline import CORE_HOLDS


@task()
@system_task
def expire_holds_task() -> int:
    """Finalize held bookings whose time ran out (search already treats them as free)."""
    from .services import expire_hold

    # Holds of other capabilities (a payment) are finalized by their own task.
    ids = Appointment.objects.filter(
        status=AppointmentStatus.HELD, hold_until__lt=clock.now(), hold_reason__in=CORE_HOLDS
    ).values_list("pk", flat=True)[:1000]
    return sum(1 for pk in list(ids) if expire_hold(pk))


@task()
@system_task
def send_reminders_task() -> int:
    from .reminders import send_due_reminders

    return send_due_reminders()
