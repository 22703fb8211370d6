"""Encrypt the secrets allauth.mfa stored in plain before MFA_ADAPTER was set (TOTP secret,
recovery-code seed, migrated recovery codes): from now on its adapter decrypts them."""

from django.db import migrations


def encrypt_authenticators(apps, schema_editor):
    from terminarz.core.crypto import PREFIX, encrypt

    def sealed(value):
        return encrypt(value) if isinstance(value, str) and value and not value.startswith(PREFIX) else value

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.all().iterator():
        data = dict(authenticator.data or {})
        changed = dict(data)
        for key in ("secret", "seed"):
            if key in data:
                changed[key] = sealed(data[key])
        if isinstance(data.get("migrated_codes"), list):
            changed["migrated_codes"] = [sealed(code) for code in data["migrated_codes"]]
        if changed != data:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("factors", "0002_move_otp_devices"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_authenticators, migrations.RunPython.noop)]
