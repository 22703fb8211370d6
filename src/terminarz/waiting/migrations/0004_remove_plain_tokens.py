"""The plain waiting-list tokens go (hashed in 0003). Separate migration: on PostgreSQL a table
cannot be altered in the transaction that updated its rows while FK checks are pending."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("waiting", "0003_waitlist_token_derived")]

    operations = [
        migrations.AlterField(
            model_name="waitlistoffer",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.RemoveField(model_name="waitlistentry", name="token"),
        migrations.RemoveField(model_name="waitlistoffer", name="token"),
    ]
