"""Settings shared by every environment. Server settings come from the environment."""

import hashlib
from pathlib import Path

import dj_database_url

from terminarz.core.env import env_bool, env_int, env_list, env_str

SRC_DIR = Path(__file__).resolve().parent.parent.parent
BASE_DIR = SRC_DIR.parent
VAR_DIR = Path(env_str("TERMINARZ_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
# Demo mode enables the local mailbox page and prints demo logins.
DEMO_MODE = env_bool("TERMINARZ_DEMO", False)
# The Django admin asks every user for a second sign-in factor (L1); the demo turns it off.
TERMINARZ_ADMIN_REQUIRES_2FA = env_bool("TERMINARZ_ADMIN_REQUIRES_2FA", True)

INSTALLED_APPS = [
    "terminarz.core.admin_apps.TerminarzAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_htmx",
    "django_otp",
    "terminarz.core",
    "terminarz.legal",
    "terminarz.accounts",
    "terminarz.factors",
    "terminarz.providers",
    "terminarz.catalog",
    "terminarz.staff",
    "terminarz.scheduling",
    "terminarz.patients",
    "terminarz.booking",
    "terminarz.notifications",
    "terminarz.waiting",
    "terminarz.records",
    "terminarz.marketing",
    "terminarz.payments",
    "terminarz.insurers",
    "terminarz.integrations",
    "terminarz.onboarding",
    "terminarz.subscriptions",
    "terminarz.portal",
    "terminarz.clinic",
    "terminarz.payerdesk",
    "terminarz.operatordesk",
    "terminarz.api",
    "terminarz.fhir",
    "terminarz.demo",
    # After our apps, so our templates override allauth's.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # ALTCHA widget script served from our static files (human check, E2).
    "django_altcha",
]

MIDDLEWARE = [
    "terminarz.core.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "terminarz.core.middleware.PolishBackOfficeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Tenancy scope of the request (core.tenancy): public, operator, or the clinic's provider.
    "terminarz.core.tenancy.TenancyMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "terminarz.accounts.guard.PatientAreaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "terminarz.urls"
WSGI_APPLICATION = "terminarz.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "terminarz.core.context_processors.site",
                "terminarz.accounts.context.account",
                "terminarz.clinic.views.clinic_context",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Short OLTP queries: JIT compilation costs more than it saves (seen: +40 ms on search).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
        # Server-side parameters, and a statement run twice on a connection is prepared: its
        # plan is reused (the booking's slot read: 1.7 ms → 0.5 ms). Off behind a pooler in
        # transaction mode (PgBouncer < 1.21), which cannot keep prepared statements.
        if env_bool("TERMINARZ_DB_PREPARED", True):
            DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "terminarz.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent bookings queue
                # instead of failing with "database is locked" on lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Sign-in lockout counts patients by the e-mail they sign in with, staff by user name.
AXES_USERNAME_CALLABLE = "terminarz.accounts.lockout.attempted_identity"
# Sign-in lockout (L1/E2): after N failures the account is locked for a while; a provider
# admin (or the platform admin) can unlock it earlier.
AXES_FAILURE_LIMIT = env_int("TERMINARZ_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("TERMINARZ_LOGIN_LOCK_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "terminarz.clinic.views.locked_out"
AXES_VERBOSE = False
# Staff of one clinic usually share one public IP: locking by IP would lock the whole front
# desk after one person's typos. Accounts are locked by username; IPs are rate-limited.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
LOGIN_URL = "clinic:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "pl"
# Patient pages, e-mails and SMS in Polish (the source), English and Ukrainian; each name in
# its own language for the switcher. The back-office and the API stay Polish (core.middleware).
LANGUAGES = [("pl", "Polski"), ("en", "English"), ("uk", "Українська")]
LOCALE_PATHS = [SRC_DIR / "terminarz" / "locale"]
POLISH_ONLY_PATHS = ("/gabinet/", "/ubezpieczyciel/", "/operator/", "/api/", "/admin/")
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "terminarz",
    }
}
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}

# E-mail: SMTP from the environment in production.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Terminarz <no-reply@terminarz.local>")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# Uploaded files (practitioner photos), served by the portal view, not by the web server.
MEDIA_ROOT = str(VAR_DIR / "media")
MEDIA_URL = "/media/"

# Patient accounts (E1–E3): django-allauth, sign-in with e-mail, mandatory e-mail activation;
# messages never reveal whether an account exists; TOTP second factor via allauth.mfa.
ACCOUNT_ADAPTER = "terminarz.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
# "Zalogowano jako Ewa Kowalska", never the internal username.
ACCOUNT_USER_DISPLAY = "terminarz.accounts.display.user_display"
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "terminarz.accounts.forms.PatientSignupForm"
ACCOUNT_FORMS = {
    "login": "terminarz.accounts.login_form.PatientLoginForm",
    # A password-reset key never opens for a staff account (their recovery is the provider admin's).
    "user_token": "terminarz.accounts.adapter.PatientUserTokenForm",
}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Terminarz – "
ACCOUNT_CHANGE_EMAIL = True
# Per IP: many failed sign-ins from one address block that address for a while (E2 "IP
# zablokowane"); per account the lockout above (django-axes) applies.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("TERMINARZ_PATIENT_LOGIN_IP_LIMIT", "30/15m/ip"),
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
LOGIN_REDIRECT_URL = "account-panel"
# Human check (E2, seed 004): ALTCHA proof of work, self-hosted – the widget script comes from
# our static files and the signed challenge is embedded in the page; no external service, no
# cookies, no image puzzle. Always on patient sign-up; on patient sign-in after
# ALTCHA_LOGIN_FAILURE_LIMIT failures within ALTCHA_LOGIN_FAILURE_WINDOW seconds from one IP or
# for one e-mail (counted in the cache under keyed hashes). The key signs the challenges:
# TERMINARZ_ALTCHA_HMAC_KEY, or derived from SECRET_KEY.
ALTCHA_HMAC_KEY = env_str("TERMINARZ_ALTCHA_HMAC_KEY") or hashlib.sha256(f"altcha:{SECRET_KEY}".encode()).hexdigest()
ALTCHA_JS_URL = "altcha/altcha.min.js"
ALTCHA_INCLUDE_TRANSLATIONS = False  # Polish texts are passed to the widget (accounts/human_check.py)
ALTCHA_CHALLENGE_EXPIRE = 20 * 60 * 1000  # ms; a used challenge is remembered as long (single use)
# Difficulty: the secret number is drawn from 0..ALTCHA_MAX_NUMBER, so a browser computes on
# average half that many SHA-256 hashes. 100,000 took 1.0-1.7 s in headless Chromium on a busy
# 2-core test machine (200,000: 2.2-3.2 s); tests use a far smaller number (settings.test).
ALTCHA_MAX_NUMBER = env_int("TERMINARZ_ALTCHA_MAX_NUMBER", 100_000)
ALTCHA_LOGIN_FAILURE_LIMIT = 3
ALTCHA_LOGIN_FAILURE_WINDOW = 15 * 60
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Terminarz"
# TOTP secrets and the recovery-code seed are encrypted in Authenticator.data.
MFA_ADAPTER = "terminarz.factors.mfa.MFAAdapter"

# Staff second sign-in factor (L1): authenticator app codes and e-mail codes (django-otp).
OTP_TOTP_ISSUER = "Terminarz"
OTP_EMAIL_TOKEN_VALIDITY = 600
OTP_EMAIL_COOLDOWN_DURATION = 30

# Master key(s) for personal data at rest (L2); comma-separated for rotation, first encrypts.
TERMINARZ_DATA_KEYS = env_str("TERMINARZ_DATA_KEY")

# Public base URL used in links sent by e-mail.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# The platform operator as the seller on its invoices for online-registration subscriptions
# (A4). The defaults are a fictitious company for the demo: set the real data in production.
TERMINARZ_PLATFORM_SELLER = {
    "name": env_str("TERMINARZ_SELLER_NAME", "Terminarz Operator sp. z o.o. (dane demonstracyjne)"),
    "nip": env_str("TERMINARZ_SELLER_NIP", "5210000374"),
    "street": env_str("TERMINARZ_SELLER_STREET", "ul. Przykładowa 1"),
    "postal_code": env_str("TERMINARZ_SELLER_POSTAL_CODE", "00-001"),
    "city": env_str("TERMINARZ_SELLER_CITY", "Warszawa"),
}
# The price of one schedule published online for 12 months (PLN, gross) and its VAT rate.
TERMINARZ_SUBSCRIPTION_PRICE = env_str("TERMINARZ_SUBSCRIPTION_PRICE", "588.00")
TERMINARZ_SUBSCRIPTION_VAT = env_str("TERMINARZ_SUBSCRIPTION_VAT", "23")
# K2: how many days ahead the SMART Scheduling Links feed publishes free slots.
TERMINARZ_SMART_DAYS = env_int("TERMINARZ_SMART_DAYS", 14)
# Webhooks to http:// and to private, loopback or link-local addresses (development and tests
# only: production calls public https endpoints).
TERMINARZ_WEBHOOKS_ALLOW_PRIVATE = env_bool("TERMINARZ_WEBHOOKS_ALLOW_PRIVATE", False)

# Booking and slots.
SLOT_HORIZON_DAYS = env_int("TERMINARZ_SLOT_HORIZON_DAYS", 90)
MESSAGE_MAX_ATTEMPTS = env_int("TERMINARZ_MESSAGE_MAX_ATTEMPTS", 6)

# Lista rezerwowa (F7): how many waiting patients get each freed slot, and for how long it is held.
WAITLIST_OFFER_BATCH = env_int("TERMINARZ_WAITLIST_OFFER_BATCH", 3)
WAITLIST_OFFER_MINUTES = env_int("TERMINARZ_WAITLIST_OFFER_MINUTES", 30)
# I2: marketing messages leave the outbox at most this many a minute (per campaign).
MARKETING_PER_MINUTE = env_int("TERMINARZ_MARKETING_PER_MINUTE", 60)

# SMS channel (I1): "smsapi" (SMSAPI-style REST gateway with a bearer token) or "sink" (record only).
SMS_BACKEND = env_str("SMS_BACKEND", "sink")
SMS_API_URL = env_str("SMS_API_URL", "https://api.smsapi.pl")
SMS_API_TOKEN = env_str("SMS_API_TOKEN", "")
SMS_SENDER = env_str("SMS_SENDER", "Terminarz")
SMS_NOTIFY_URL = env_str("SMS_NOTIFY_URL", "")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)
# Shared secret the gateway's status callback (/hooks/sms/?secret=...) must carry.
SMS_CALLBACK_SECRET = env_str("SMS_CALLBACK_SECRET", "")

# Online payments (H8). Without credentials in the environment the bundled stand-ins are used
# with fixed demo keys (README "Payments"): `manage.py przelewy24_standin --port 8031` and
# `manage.py autopay_standin --port 8032` (both started by scripts/demo). Production URLs are
# set in settings/prod.py.
P24_MERCHANT_ID = env_int("P24_MERCHANT_ID", 100001)
P24_POS_ID = env_int("P24_POS_ID", 100001)
P24_API_KEY = env_str("P24_API_KEY", "demo-p24-api-key")
P24_CRC = env_str("P24_CRC", "demo-p24-crc")
P24_BASE_URL = env_str("P24_BASE_URL", "http://127.0.0.1:8031")
AUTOPAY_SERVICE_ID = env_str("AUTOPAY_SERVICE_ID", "100001")
AUTOPAY_SHARED_KEY = env_str("AUTOPAY_SHARED_KEY", "demo-autopay-shared-key")
AUTOPAY_BASE_URL = env_str("AUTOPAY_BASE_URL", "http://127.0.0.1:8032")
PAYMENT_GATEWAY_TIMEOUT = env_int("PAYMENT_GATEWAY_TIMEOUT", 10)

# Rate limiting of public endpoints (per client IP). TERMINARZ_RATELIMIT=off disables it.
RATELIMIT_ENABLE = env_str("TERMINARZ_RATELIMIT", "on").lower() not in {"off", "0", "false"}
RATELIMIT_SEARCH = env_str("TERMINARZ_RATELIMIT_SEARCH", "120/m")
RATELIMIT_BOOKING = env_str("TERMINARZ_RATELIMIT_BOOKING", "20/m")
# Gateways' notifications come from a few addresses; junk from anyone else is cut off early.
RATELIMIT_PAYMENT_NOTIFY = env_str("TERMINARZ_RATELIMIT_PAYMENT_NOTIFY", "300/m")
RATELIMIT_VIEW = "terminarz.portal.error_views.too_many_requests"
CSRF_FAILURE_VIEW = "terminarz.portal.error_views.csrf_failure"

# Secret tokens in link paths (waiting-list offers, account take-over, reset keys) and in the
# ``t`` parameter are redacted from the request loggers (core/logging.py). "django.server" is
# declared in full (as in Django's default) because configuring it here replaces its handlers.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "terminarz.core.logging.RedactSecretTokens"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"level": "INFO", "class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # its INFO line holds the full URL (a webhook's query string)
        "django.request": {"filters": ["redact_tokens"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_tokens"],
        },
    },
}
