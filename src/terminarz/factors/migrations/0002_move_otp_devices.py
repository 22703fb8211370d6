"""Move the devices of django-otp's otp_totp / otp_email plugins (no longer installed) into
this app: the TOTP key and the e-mail address encrypted, a pending e-mail code dropped (the
user asks for a new one). The old rows are deleted, so no plain key is left behind. Raw SQL:
the old apps' models are gone; on a database that never had them this does nothing."""

from django.db import migrations

OLD_TOTP = "otp_totp_totpdevice"
OLD_EMAIL = "otp_email_emaildevice"
COMMON = (
    "user_id",
    "name",
    "confirmed",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "created_at",
    "last_used_at",
)
TOTP_COLUMNS = (*COMMON, "key", "step", "t0", "digits", "tolerance", "drift", "last_t")
EMAIL_COLUMNS = (*COMMON, "email", "last_generated_timestamp", "valid_until")
ENCRYPTED = {"key", "email"}


def _copy(cursor, qn, old: str, new: str, columns: tuple[str, ...], extra: dict) -> None:
    from terminarz.core.crypto import PREFIX, encrypt

    cursor.execute(f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(old)} ORDER BY id")
    for row in cursor.fetchall():
        values = dict(zip(columns, row, strict=True))
        for column in ENCRYPTED & values.keys():
            plain = values[column] or ""
            values[column] = encrypt(plain) if plain and not plain.startswith(PREFIX) else plain
        values.update(extra)
        names = ", ".join(qn(c) for c in values)
        marks = ", ".join(["%s"] * len(values))
        cursor.execute(f"INSERT INTO {qn(new)} ({names}) VALUES ({marks})", list(values.values()))
    cursor.execute(f"DELETE FROM {qn(old)}")


def move_devices(apps, schema_editor):
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if OLD_TOTP in tables:
            _copy(cursor, qn, OLD_TOTP, "factors_totpdevice", TOTP_COLUMNS, {})
        if OLD_EMAIL in tables:
            _copy(cursor, qn, OLD_EMAIL, "factors_emaildevice", EMAIL_COLUMNS, {"token_hash": ""})


class Migration(migrations.Migration):
    dependencies = [("factors", "0001_initial")]

    operations = [migrations.RunPython(move_devices, migrations.RunPython.noop)]
