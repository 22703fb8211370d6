"""Personal data at rest (L2): encrypted fields plus a keyed hash for exact-match lookup.

One master key from the environment (TERMINARZ_DATA_KEY or TERMINARZ_DATA_KEY_FILE; several
comma-separated keys allow rotation, the first encrypts). Two purpose keys are derived from
it with HKDF: one for Fernet encryption, one for HMAC-SHA256 lookup hashes."""

import base64
import functools
import hashlib
import hmac
import os

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
