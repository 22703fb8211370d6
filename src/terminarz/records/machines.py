"""Status rules of what a patient asks of a provider (E5) on `core.statemachine`: prescription
requests and RODO requests. Every status write goes through `PRESCRIPTION` or `RODO`
(compare-and-set, recorded as `core.StateTransition`); a refused one raises `TransitionRefused`
with a Polish message. The back-office keeps its own audit entries ("prescription.handled",
"rodo.handled", with the answer's context), so the machines write none; a patient's
withdrawal is audited by the service ("rodo.withdrawn")."""

from terminarz.core.statemachine import Machine

from .models import PrescriptionRequest, RodoRequest

P = PrescriptionRequest.Status
R = RodoRequest.Status

PRESCRIPTION = Machine(
    PrescriptionRequest,
    transitions={
        "": {P.NEW},
        P.NEW: {P.ISSUED, P.REJECTED},
        P.ISSUED: set(),
        P.REJECTED: set(),
    },
    subject="prośby o receptę",
    name="prescription",
    audit=False,
)

RODO = Machine(
    RodoRequest,
    transitions={
        "": {R.SUBMITTED},
        R.SUBMITTED: {R.IN_PROGRESS, R.DONE, R.REJECTED, R.WITHDRAWN},
        R.IN_PROGRESS: {R.DONE, R.REJECTED, R.WITHDRAWN},
        R.DONE: set(),
        R.REJECTED: set(),
        R.WITHDRAWN: set(),
    },
    subject="wniosku",
    name="rodo",
    audit=False,
)
