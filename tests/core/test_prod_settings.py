"""Production settings refuse to start in demo mode: the demo mailbox (/dev/poczta/) shows every
sent message, staff sign-in codes included (issue 8, defect 6)."""

import os
import subprocess
import sys

import pytest

from terminarz.core.crypto import new_master_key

LOAD = "import django; django.setup(); from django.conf import settings; print(settings.DEMO_MODE)"


def load_prod(**extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TERMINARZ_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="terminarz.settings.prod",
        SECRET_KEY="a-production-secret-for-this-test-only",
        TERMINARZ_DATA_KEY=new_master_key(),
        **extra,
    )
    return subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("value", ["1", "true", "on"])
def test_production_settings_refuse_demo_mode(value):
    result = load_prod(TERMINARZ_DEMO=value)
    assert result.returncode == 1
    assert "RuntimeError: TERMINARZ_DEMO must be off in production" in result.stderr


def test_production_settings_start_without_demo_mode():
    result = load_prod()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
