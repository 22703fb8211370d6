"""Visit link secrets are no longer stored: a random salt per visit, the token derived from it
with a key outside the database (Appointment.cancel_token). Tokens already e-mailed stay
valid through a keyed hash of them (legacy_token_hash); new e-mails carry derived tokens."""

from django.db import migrations, models

import terminarz.core.crypto

# Must equal booking.models.LEGACY_TOKEN_PURPOSE.
LEGACY_TOKEN_PURPOSE = "appointment-legacy-token"


def hash_issued_tokens(apps, schema_editor):
    from terminarz.core.crypto import new_salt, secret_hash

    Appointment = apps.get_model("booking", "Appointment")
    for pk, token in Appointment.objects.values_list("pk", "cancel_token").iterator():
        Appointment.objects.filter(pk=pk).update(
            token_salt=new_salt(), legacy_token_hash=secret_hash(LEGACY_TOKEN_PURPOSE, token) if token else ""
        )


class Migration(migrations.Migration):
    dependencies = [("booking", "0010_reminders")]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="token_salt",
            field=models.CharField(default=terminarz.core.crypto.new_salt, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="appointment",
            name="legacy_token_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(hash_issued_tokens, migrations.RunPython.noop),
    ]
