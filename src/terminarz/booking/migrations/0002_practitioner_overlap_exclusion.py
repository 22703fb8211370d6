"""On PostgreSQL: a practitioner is never in two active appointments at overlapping times.
SQLite has no exclusion constraints; there booking checks the same under its write lock."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE booking_appointment ADD CONSTRAINT appointment_no_practitioner_overlap
  EXCLUDE USING gist (practitioner_id WITH =, tstzrange("start", "end", '[)') WITH &&)
  WHERE (status IN ('held', 'confirmed'));
"""
DROP = "ALTER TABLE booking_appointment DROP CONSTRAINT IF EXISTS appointment_no_practitioner_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
