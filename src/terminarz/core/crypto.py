"""Personal data at rest (L2): encrypted fields plus a keyed hash for exact-match lookup.

One master key from the environment (TERMINARZ_DATA_KEY or TERMINARZ_DATA_KEY_FILE; several
comma-separated keys allow rotation, the first encrypts). Two purpose keys are derived from
it with HKDF: one for Fernet encryption, one for HMAC-SHA256 lookup hashes, and two for the
secrets behind links and sign-in codes (see `link_token` and `secret_hash`): the database
holds only a random salt or a keyed hash, so a dump alone cannot produce a working link or
code."""

import base64
import functools
import hashlib
import hmac
import os
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc1:"


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"terminarz:" + purpose).derive(master)


def _master_keys() -> list[bytes]:
    raw = settings.TERMINARZ_DATA_KEYS
    keys = [k.strip() for k in (raw or "").split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured("TERMINARZ_DATA_KEY is not set: personal data cannot be stored")
    try:
        return [base64.urlsafe_b64decode(k.encode() + b"=" * (-len(k) % 4)) for k in keys]
    except ValueError as exc:
        raise ImproperlyConfigured("TERMINARZ_DATA_KEY must be url-safe base64") from exc


@functools.cache
def _fernet(raw_keys: str) -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(m, b"encrypt"))) for m in _master_keys()])


@functools.cache
def _hash_key(raw_keys: str) -> bytes:
    return _derive(_master_keys()[0], b"lookup")


@functools.cache
def _link_keys(raw_keys: str) -> tuple[bytes, ...]:
    return tuple(_derive(m, b"link-token") for m in _master_keys())


@functools.cache
def _secret_hash_keys(raw_keys: str) -> tuple[bytes, ...]:
    return tuple(_derive(m, b"secret-hash") for m in _master_keys())


def new_master_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def encrypt(value: str) -> str:
    return PREFIX + _fernet(settings.TERMINARZ_DATA_KEYS).encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not value.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    try:
        return _fernet(settings.TERMINARZ_DATA_KEYS).decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("encrypted value cannot be read with the configured keys") from exc


def lookup_hash(value: str) -> str:
    """Keyed hash of a normalized value: equal inputs give equal hashes, nothing else leaks."""
    normalized = value.strip().lower()
    if not normalized:
        return ""
    return hmac.new(_hash_key(settings.TERMINARZ_DATA_KEYS), normalized.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stored encrypted; read back as plain text. Empty stays empty. No lookups but isnull:
    search through a companion hash field filled with lookup_hash()."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name):
        # Ciphertexts differ on every write: an equality lookup would silently never match.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


def new_salt() -> str:
    """A per-row random value a link token is derived from (stored; useless without the key)."""
    return secrets.token_hex(16)


def _link_mac(key: bytes, purpose: str, salt: str) -> bytes:
    mac = hmac.new(key, f"{purpose}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=")


def link_token(purpose: str, salt: str) -> str:
    """The secret in a link (visit cancel/confirm, waiting list), derived from the row's salt
    with a key the database never holds: e-mails sent later (reminders, moves) carry the same
    working link, and a database dump alone cannot produce it. 43 url-safe characters."""
    if not salt:
        raise ValueError("no salt to derive a link token from")
    return _link_mac(_link_keys(settings.TERMINARZ_DATA_KEYS)[0], purpose, salt).decode()


def link_token_matches(purpose: str, salt: str, token: object) -> bool:
    """Constant-time check of a presented token; tokens derived with an older master key
    (still listed for rotation) keep working."""
    if not salt or not token:
        return False
    presented = str(token).encode()
    matched = False
    for key in _link_keys(settings.TERMINARZ_DATA_KEYS):
        matched |= hmac.compare_digest(_link_mac(key, purpose, salt), presented)
    return matched


def secret_hash(purpose: str, value: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) of a secret that is only ever compared: an e-mail code, a
    link token issued before tokens were derived. Unlike a plain hash, a six-digit code cannot
    be recovered from it by trying all million values without the key."""
    return _secret_hashes(purpose, value)[0]


def _secret_hashes(purpose: str, value: str) -> list[str]:
    message = f"{purpose}:{value}".encode()
    return [
        hmac.new(key, message, hashlib.sha256).hexdigest() for key in _secret_hash_keys(settings.TERMINARZ_DATA_KEYS)
    ]


def secret_hash_candidates(purpose: str, value: str) -> list[str]:
    """The value's keyed hash under every configured master key (lookups across a rotation)."""
    return _secret_hashes(purpose, value)


def secret_hash_matches(purpose: str, value: object, stored: str) -> bool:
    """Constant-time comparison of a presented secret with a stored keyed hash."""
    if not stored or not value:
        return False
    matched = False
    for candidate in _secret_hashes(purpose, str(value)):
        matched |= hmac.compare_digest(candidate, stored)
    return matched
