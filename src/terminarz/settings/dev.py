from .base import *  # noqa: F401,F403
from .base import VAR_DIR, env_bool, env_str

DEBUG = env_bool("DEBUG", True)
DEMO_MODE = env_bool("TERMINARZ_DEMO", True)
# Demo keeps sent e-mail locally (files under var/mail, listed at /dev/poczta/).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
