"""The cooperation's state machine (G2), on `core.statemachine`:

none ─→ terms_accepted ─→ offer_sent ─┬→ active ─→ ended ─→ terms_accepted (again)
              ↑                       └→ rejected ─┘ (corrected and sent again)
"""

from terminarz.core.statemachine import Machine

from .models import (
    Claim,
    ClaimStatus,
    Cooperation,
    CooperationStatus,
    LocationCode,
    LocationCodeStatus,
    Settlement,
    SettlementStatus,
)

S = CooperationStatus
TRANSITIONS: dict[str, set[str]] = {
    "": {S.NONE},
    S.NONE: {S.TERMS_ACCEPTED},
    S.TERMS_ACCEPTED: {S.OFFER_SENT},
    S.OFFER_SENT: {S.ACTIVE, S.REJECTED},
    S.ACTIVE: {S.ENDED},
    S.REJECTED: {S.TERMS_ACCEPTED},
    S.ENDED: {S.TERMS_ACCEPTED},
}

COOPERATION = Machine(Cooperation, transitions=TRANSITIONS, subject="współpracy", name="cooperation")

# G3: a location code's status follows what the operator and the provider entered; any change
# of either may move it (never to the same status: then nothing is recorded).
LC = LocationCodeStatus
LOCATION_CODE = Machine(
    LocationCode,
    transitions={
        "": {LC.NONE},
        LC.NONE: {LC.UNKNOWN, LC.ACCEPTED},
        LC.UNKNOWN: {LC.NONE, LC.ACCEPTED},
        LC.ACCEPTED: {LC.NONE, LC.UNKNOWN},
    },
    subject="identyfikatora lokalizacji",
    name="location_code",
)

# G9: a benefit claim is decided by the insurer and settled in a report; a settlement is paid.
CS = ClaimStatus
CLAIM = Machine(
    Claim,
    transitions={
        "": {CS.SUBMITTED},
        CS.SUBMITTED: {CS.ACCEPTED, CS.REJECTED},
        CS.ACCEPTED: {CS.SETTLED},
    },
    subject="wniosku",
    name="claim",
)
SETTLEMENT = Machine(
    Settlement,
    transitions={"": {SettlementStatus.DUE}, SettlementStatus.DUE: {SettlementStatus.PAID}},
    subject="rozliczenia",
    name="settlement",
)
