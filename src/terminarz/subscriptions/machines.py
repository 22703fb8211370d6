"""A4: a subscription's state machine, on `core.statemachine`:

"" ─→ ordered ─┬→ paid ─→ active ─→ expired
               └→ cancelled
"" ─→ active (the demo: free, on at once)
"""

from terminarz.core.statemachine import Machine

from .models import Subscription, SubscriptionStatus

S = SubscriptionStatus
SUBSCRIPTION = Machine(
    Subscription,
    transitions={
        "": {S.ORDERED, S.ACTIVE},
        S.ORDERED: {S.PAID, S.CANCELLED},
        S.PAID: {S.ACTIVE},
        S.ACTIVE: {S.EXPIRED},
    },
    subject="umowy",
    name="subscription",
)
