"""A5: a location's approval by the platform operator, on `core.statemachine`:

"" ─→ pending ─┬→ approved
               └→ rejected ─→ pending (corrected and sent again)
"" ─→ approved (the main location of a provider the operator opened)
"""

from terminarz.core.statemachine import Machine

from .models import Location, LocationStatus

L = LocationStatus
LOCATION = Machine(
    Location,
    transitions={
        "": {L.PENDING, L.APPROVED},
        L.PENDING: {L.APPROVED, L.REJECTED},
        L.REJECTED: {L.PENDING},
    },
    subject="lokalizacji",
    name="location",
)
