from .base import *  # noqa: F401,F403
from .base import DEMO_MODE, SECRET_KEY, TERMINARZ_DATA_KEYS, env_bool

DEBUG = False
if DEMO_MODE:
    # Demo mode shows every sent message (staff sign-in codes included) at /dev/poczta/.
    raise RuntimeError("TERMINARZ_DEMO must be off in production (terminarz.settings.prod)")
if SECRET_KEY.startswith("dev-only"):
    raise RuntimeError("SECRET_KEY must be set in production")
if not TERMINARZ_DATA_KEYS:
    raise RuntimeError("TERMINARZ_DATA_KEY (or TERMINARZ_DATA_KEY_FILE) must be set in production")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
