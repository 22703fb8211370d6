"""Production settings refuse to start in demo mode: the demo mailbox (/dev/poczta/) shows every
sent message, staff sign-in codes included (issue 8, defect 6); and without a shared cache
(REDIS_URL) unless told it runs as one process; the client IP behind proxies comes from
TERMINARZ_TRUSTED_PROXY_COUNT, the same for allauth, django-ratelimit, django-axes and the API
throttle (issue 8 review, F5)."""

import os
import subprocess
import sys

import pytest
import redis

from terminarz.core.crypto import new_master_key

LOAD = "import django; django.setup(); from django.conf import settings; print(settings.DEMO_MODE)"


CLIENT_IPS = """
import django; django.setup()
from allauth.account.adapter import get_adapter
from axes.helpers import get_client_ip_address
from django.test import RequestFactory
from django_ratelimit.core import _get_ip
from terminarz.core.ratelimit import SettingsRateThrottle

request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
print(get_adapter(request).get_client_ip(request))
print(_get_ip(request))
print(get_client_ip_address(request))
print(SettingsRateThrottle("RATELIMIT_SEARCH").get_ident(request))
"""


def load_prod(code: str = LOAD, **extra: str | None) -> subprocess.CompletedProcess:
    """Start the production settings in a fresh interpreter; a None in `extra` leaves that variable out."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TERMINARZ_", "DJANGO_", "REDIS_"))}
    wanted: dict[str, str | None] = {
        **base,
        "DJANGO_SETTINGS_MODULE": "terminarz.settings.prod",
        "SECRET_KEY": "a-production-secret-for-this-test-only",
        "TERMINARZ_DATA_KEY": new_master_key(),
        "REDIS_URL": "redis://127.0.0.1:6379/0",  # only configured: loading the settings connects nowhere
        "TERMINARZ_SELLER_NAME": "Operator Platformy sp. z o.o.",
        "TERMINARZ_SELLER_NIP": "5210000374",
        **extra,
    }
    env = {k: v for k, v in wanted.items() if v is not None}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("value", ["1", "true", "on"])
def test_production_settings_refuse_demo_mode(value):
    result = load_prod(TERMINARZ_DEMO=value)
    assert result.returncode == 1
    assert "RuntimeError: TERMINARZ_DEMO must be off in production" in result.stderr


def test_production_settings_start_without_demo_mode():
    result = load_prod()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_settings_refuse_to_start_without_a_shared_cache():
    result = load_prod(REDIS_URL=None)
    assert result.returncode == 1
    assert "RuntimeError: REDIS_URL must be set in production" in result.stderr


def test_production_settings_start_without_redis_when_told_it_is_one_process():
    result = load_prod(
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        REDIS_URL=None,
        TERMINARZ_SINGLE_PROCESS="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


def test_production_settings_use_redis_when_given():
    result = load_prod(
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def test_production_cache_round_trips_through_redis():
    """The Redis client library is installed and the configured cache answers (it was missing:
    every request touching the cache failed with ModuleNotFoundError in production)."""
    try:
        redis.Redis(host="127.0.0.1", port=6379, db=14, socket_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is required on CI (127.0.0.1:6379)")
        pytest.skip("needs Redis at 127.0.0.1:6379")
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        "cache.set('terminarz-test', [1, 2], 10); print(cache.get('terminarz-test')); cache.delete('terminarz-test')"
    )
    result = load_prod(code, REDIS_URL="redis://127.0.0.1:6379/14")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[1, 2]"


def test_without_trusted_proxies_every_per_ip_count_uses_remote_addr():
    """A client-written X-Forwarded-For changes nothing (the API throttle used to trust it)."""
    result = load_prod(CLIENT_IPS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["10.0.0.9"] * 4


def test_behind_one_trusted_proxy_every_per_ip_count_uses_the_address_it_saw():
    result = load_prod(CLIENT_IPS, TERMINARZ_TRUSTED_PROXY_COUNT="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["203.0.113.7"] * 4


def test_behind_two_trusted_proxies_the_client_is_the_second_address_from_the_right():
    result = load_prod(CLIENT_IPS, TERMINARZ_TRUSTED_PROXY_COUNT="2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["6.6.6.6"] * 4


def test_the_url_configuration_loads_without_a_static_manifest():
    """Nothing resolves a static file's hashed name while the URLs are imported (a favicon
    redirect built at import failed every request where collectstatic had not run)."""
    result = load_prod(
        "import django; django.setup(); from django.urls import resolve; print(resolve('/favicon.ico').func.__name__)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "favicon"


def test_production_settings_refuse_the_demo_seller_and_a_bad_vat_rate():
    missing = load_prod(TERMINARZ_SELLER_NAME=None, TERMINARZ_SELLER_NIP=None)
    assert missing.returncode == 1
    assert "RuntimeError: TERMINARZ_SELLER_NAME and TERMINARZ_SELLER_NIP" in missing.stderr
    bad_vat = load_prod(TERMINARZ_SUBSCRIPTION_VAT="23%")
    assert bad_vat.returncode == 1
    assert "RuntimeError: TERMINARZ_SUBSCRIPTION_VAT must be one of 23, 8, 5, 0, zw" in bad_vat.stderr
