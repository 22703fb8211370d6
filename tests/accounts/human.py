"""A solved ALTCHA challenge for tests, computed here as a browser would (E2 human check)."""

import datetime as dt
import html
import json
import re

import altcha
from django.conf import settings


def solve(challenge: altcha.Challenge) -> str:
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    payload = altcha.Payload(
        challenge.algorithm, challenge.challenge, solution.number, challenge.salt, challenge.signature
    )
    return payload.to_base64()


def solved_altcha(*, hmac_key: str | None = None, valid_for: dt.timedelta = dt.timedelta(minutes=20)) -> str:
    """The form value of a solved challenge signed with the site's key (or another one)."""
    challenge = altcha.create_challenge(
        altcha.ChallengeOptions(
            hmac_key=hmac_key or settings.ALTCHA_HMAC_KEY,
            max_number=settings.ALTCHA_MAX_NUMBER,
            expires=dt.datetime.now(dt.UTC) + valid_for,
        )
    )
    return solve(challenge)


def solve_page_challenge(page: str) -> str:
    """Solves the challenge embedded in a rendered page's <altcha-widget>."""
    match = re.search(r'<altcha-widget name="altcha" challengejson="([^"]+)"', page)
    assert match, "no human check on the page"
    data = json.loads(html.unescape(match.group(1)))
    return solve(
        altcha.Challenge(data["algorithm"], data["challenge"], data["maxNumber"], data["salt"], data["signature"])
    )
