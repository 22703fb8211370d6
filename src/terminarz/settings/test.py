from .base import *  # noqa: F401,F403

DEBUG = False
DEMO_MODE = True
SECRET_KEY = "test-secret-key"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
RATELIMIT_ENABLE = False
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# A file database (not shared-cache memory) so threaded concurrency tests behave like
# production SQLite: writers queue on the lock instead of failing with "table is locked".
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
