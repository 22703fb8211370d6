from .base import *  # noqa: F401,F403
from .base import VAR_DIR, env_bool, env_str

DEBUG = env_bool("DEBUG", True)
DEMO_MODE = env_bool("TERMINARZ_DEMO", True)
TERMINARZ_WEBHOOKS_ALLOW_PRIVATE = env_bool("TERMINARZ_WEBHOOKS_ALLOW_PRIVATE", True)
# The demo admin opens /admin/ with its password; production asks for a second factor.
TERMINARZ_ADMIN_REQUIRES_2FA = env_bool("TERMINARZ_ADMIN_REQUIRES_2FA", False)
# Demo keeps sent e-mail locally (files under var/mail, listed at /dev/poczta/).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# The demo makes its own data key once and keeps it under var/ (never committed).
TERMINARZ_DATA_KEYS = env_str("TERMINARZ_DATA_KEY")
if not TERMINARZ_DATA_KEYS:
    from terminarz.core.crypto import new_master_key

    _key_file = VAR_DIR / "data.key"
    if not _key_file.exists():
        _key_file.parent.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(new_master_key())
        _key_file.chmod(0o600)
    TERMINARZ_DATA_KEYS = _key_file.read_text().strip()
