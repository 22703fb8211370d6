"""The application's state machine (A1), on `core.statemachine`:

"" ─→ draft ─┬→ submitted ─┬→ approved
             └→ cancelled  └→ rejected
"""

from terminarz.core.statemachine import Machine

from .models import ApplicationStatus, ProviderApplication

A = ApplicationStatus
APPLICATION = Machine(
    ProviderApplication,
    transitions={
        "": {A.DRAFT},
        A.DRAFT: {A.SUBMITTED, A.CANCELLED},
        A.SUBMITTED: {A.APPROVED, A.REJECTED},
    },
    subject="wniosku",
    name="application",
)
