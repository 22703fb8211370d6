"""Waiting-list link secrets are no longer stored (see booking 0011): entries and offers get a
random salt the token is derived from; an offer is found by its token's keyed hash. Tokens
already e-mailed stay valid: an entry keeps a keyed hash of its old token, an offer's lookup
hash is that of its old token."""

from django.db import migrations, models

import terminarz.core.crypto

# Must equal waiting.models.ENTRY_LEGACY_TOKEN_PURPOSE and OFFER_TOKEN_PURPOSE.
ENTRY_LEGACY_TOKEN_PURPOSE = "waitlist-entry-legacy-token"
OFFER_TOKEN_PURPOSE = "waitlist-offer"


def hash_issued_tokens(apps, schema_editor):
    from terminarz.core.crypto import link_token, new_salt, secret_hash

    WaitlistEntry = apps.get_model("waiting", "WaitlistEntry")
    for pk, token in WaitlistEntry.objects.values_list("pk", "token").iterator():
        WaitlistEntry.objects.filter(pk=pk).update(
            token_salt=new_salt(), legacy_token_hash=secret_hash(ENTRY_LEGACY_TOKEN_PURPOSE, token) if token else ""
        )
    WaitlistOffer = apps.get_model("waiting", "WaitlistOffer")
    for pk, token in WaitlistOffer.objects.values_list("pk", "token").iterator():
        salt = new_salt()
        issued = token or link_token(OFFER_TOKEN_PURPOSE, salt)
        WaitlistOffer.objects.filter(pk=pk).update(token_salt=salt, token_hash=secret_hash(OFFER_TOKEN_PURPOSE, issued))


class Migration(migrations.Migration):
    dependencies = [("waiting", "0002_waitlist")]

    operations = [
        migrations.AddField(
            model_name="waitlistentry",
            name="token_salt",
            field=models.CharField(default=terminarz.core.crypto.new_salt, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="waitlistentry",
            name="legacy_token_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="waitlistoffer",
            name="token_salt",
            field=models.CharField(default=terminarz.core.crypto.new_salt, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="waitlistoffer",
            name="token_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(hash_issued_tokens, migrations.RunPython.noop),
    ]
