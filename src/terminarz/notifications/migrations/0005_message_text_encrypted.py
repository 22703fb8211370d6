"""Outbox message text (subject, body, HTML) encrypted at rest: it holds visit links, sign-in
codes and account links. Existing rows are encrypted in place."""

from django.db import migrations

import terminarz.core.crypto
from terminarz.core.migration_ops import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_message_templates")]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="subject",
            field=terminarz.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="message",
            name="body",
            field=terminarz.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="message",
            name="html_body",
            field=terminarz.core.crypto.EncryptedTextField(blank=True),
        ),
        encrypt_existing("notifications_message", ("subject", "body", "html_body"), {}),
    ]
