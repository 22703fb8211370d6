from .base import *  # noqa: F401,F403

DEBUG = False
DEMO_MODE = True
SECRET_KEY = "test-secret-key"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
RATELIMIT_ENABLE = False
TERMINARZ_DATA_KEYS = "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LXRlc3Qtb25s"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# A file database (not shared-cache memory) so threaded concurrency tests behave like
# production SQLite: writers queue on the lock instead of failing with "table is locked".
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# Serve static files from the apps' folders in tests (no collectstatic step).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
