import os

from .base import *  # noqa: F401,F403

DEBUG = False
DEMO_MODE = True
SECRET_KEY = "test-secret-key"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
RATELIMIT_ENABLE = False
TERMINARZ_DATA_KEYS = "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LXRlc3Qtb25s"
# Human check: a fixed key the tests sign their own solutions with; easy puzzles (fast tests).
ALTCHA_HMAC_KEY = "test-altcha-hmac-key"
ALTCHA_MAX_NUMBER = 2_000
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# A file database (not shared-cache memory) so threaded concurrency tests behave like
# production SQLite: writers queue on the lock instead of failing with "table is locked".
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # One file per process, so two test runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# Serve static files from the apps' folders in tests (no collectstatic step).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
TERMINARZ_WEBHOOKS_ALLOW_PRIVATE = True  # the tests deliver to a local HTTP server
