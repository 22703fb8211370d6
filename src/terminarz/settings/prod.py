from .base import *  # noqa: F401,F403
from .base import DEMO_MODE, REDIS_URL, SECRET_KEY, TERMINARZ_DATA_KEYS, env_bool, env_int, env_str

DEBUG = False
if DEMO_MODE:
    # Demo mode shows every sent message (staff sign-in codes included) at /dev/poczta/.
    raise RuntimeError("TERMINARZ_DEMO must be off in production (terminarz.settings.prod)")
if SECRET_KEY.startswith("dev-only"):
    raise RuntimeError("SECRET_KEY must be set in production")
if not TERMINARZ_DATA_KEYS:
    raise RuntimeError("TERMINARZ_DATA_KEY (or TERMINARZ_DATA_KEY_FILE) must be set in production")
# The platform's invoices for subscriptions (A4) name the operator as the seller: never the demo's.
if not (env_str("TERMINARZ_SELLER_NAME") and env_str("TERMINARZ_SELLER_NIP")):
    raise RuntimeError("TERMINARZ_SELLER_NAME and TERMINARZ_SELLER_NIP (and the address) must be set in production")
if env_str("TERMINARZ_SUBSCRIPTION_VAT", "23") not in ("23", "8", "5", "0", "zw"):
    raise RuntimeError("TERMINARZ_SUBSCRIPTION_VAT must be one of 23, 8, 5, 0, zw")
# Single-use human-check solutions, failure counters and rate limits live in the cache; a
# per-process cache would give every worker its own, so several processes need Redis.
if not REDIS_URL and not env_bool("TERMINARZ_SINGLE_PROCESS", False):
    raise RuntimeError(
        "REDIS_URL must be set in production (the cache is shared by all processes); "
        "set TERMINARZ_SINGLE_PROCESS=1 only when a single process serves every request"
    )

# The client IP behind reverse proxies: with N trusted proxies, the N-th address from the right
# of X-Forwarded-For (0: REMOTE_ADDR). allauth computes it; django-ratelimit, django-axes and the
# API throttle ask the same function (terminarz.core.ratelimit.client_ip).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TERMINARZ_TRUSTED_PROXY_COUNT", 0)
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise RuntimeError("TERMINARZ_TRUSTED_PROXY_COUNT must be 0 or more")
RATELIMIT_IP_META_KEY = "terminarz.core.ratelimit.client_ip"
AXES_CLIENT_IP_CALLABLE = "terminarz.core.ratelimit.client_ip"
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

# Payment gateways (H8): the real services; credentials only from the environment. The demo
# keys of base.py never reach production: a gateway a clinic chooses must have its own.
P24_BASE_URL = env_str("P24_BASE_URL", "https://secure.przelewy24.pl")  # sandbox: https://sandbox.przelewy24.pl
P24_MERCHANT_ID = env_int("P24_MERCHANT_ID", 0)
P24_POS_ID = env_int("P24_POS_ID", 0)
P24_API_KEY = env_str("P24_API_KEY", "")
P24_CRC = env_str("P24_CRC", "")
AUTOPAY_BASE_URL = env_str("AUTOPAY_BASE_URL", "https://pay.autopay.eu")  # test: https://testpay.autopay.eu
AUTOPAY_SERVICE_ID = env_str("AUTOPAY_SERVICE_ID", "")
AUTOPAY_SHARED_KEY = env_str("AUTOPAY_SHARED_KEY", "")
# A gateway named in the environment must come with its secret: nothing is signed or checked
# with an empty key (payments.gateways refuses such a gateway too).
if P24_MERCHANT_ID and not (P24_POS_ID and P24_API_KEY and P24_CRC):
    raise RuntimeError("P24_MERCHANT_ID is set: P24_POS_ID, P24_API_KEY and P24_CRC must be set too")
if AUTOPAY_SERVICE_ID and not AUTOPAY_SHARED_KEY:
    raise RuntimeError("AUTOPAY_SERVICE_ID is set: AUTOPAY_SHARED_KEY must be set too")
