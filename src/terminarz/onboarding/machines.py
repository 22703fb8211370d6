"""The application's state machine (A1), on `core.statemachine`:

"" ─→ draft ─┬→ submitted ─┬→ approved
             └→ cancelled  └→ rejected

and a change request's (A2): "" ─→ pending ─→ approved / rejected / withdrawn.
"""

from terminarz.core.statemachine import Machine

from .models import ApplicationStatus, ChangeRequest, ChangeStatus, ProviderApplication

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

# A2: a change request waits for the operator, or is withdrawn by the provider.
C = ChangeStatus
CHANGE = Machine(
    ChangeRequest,
    transitions={"": {C.PENDING}, C.PENDING: {C.APPROVED, C.REJECTED, C.WITHDRAWN}},
    subject="wniosku o zmianę",
    name="change_request",
)
