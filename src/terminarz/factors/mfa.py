"""allauth.mfa (patient TOTP and recovery codes) with secrets encrypted at rest.

allauth passes the TOTP secret, the recovery-code seed and migrated recovery codes through
its adapter's encrypt()/decrypt() hooks before they go into `Authenticator.data`; by default
these hooks return the text unchanged. Here they use the project's field encryption, so the
JSON in the database holds only "enc1:…" ciphertexts. Rows written before (plain) were
encrypted by migration factors 0003; decrypt() refuses plain text rather than trusting it."""

from allauth.mfa.adapter import DefaultMFAAdapter

from terminarz.core.crypto import decrypt, encrypt


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt(encrypted_text)
