"""The plain visit tokens go (hashed in 0011). Separate migration: on PostgreSQL a table cannot
be altered in the transaction that updated its rows while FK checks are pending."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("booking", "0011_visit_token_derived")]

    operations = [migrations.RemoveField(model_name="appointment", name="cancel_token")]
