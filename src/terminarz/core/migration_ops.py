"""Reusable migration operations."""

from django.db import migrations


def encrypt_existing(table: str, columns: tuple[str, ...], hashed: dict[str, str]):
    """Encrypt plaintext rows written before this migration (raw SQL: the model field would
    try to decrypt them)."""

    def forwards(apps, schema_editor):
        from terminarz.core.crypto import PREFIX, encrypt, lookup_hash
        from terminarz.core.phone import phone_digits

        connection = schema_editor.connection
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {', '.join(qn(c) for c in columns)} FROM {qn(table)}")
            rows = cursor.fetchall()
            for pk, *values in rows:
                updates = {}
                for column, value in zip(columns, values, strict=True):
                    if value and not value.startswith(PREFIX):
                        updates[column] = encrypt(value)
                        if column in hashed:
                            plain = phone_digits(value) if column == "phone" else value
                            updates[hashed[column]] = lookup_hash(plain)
                if updates:
                    assignments = ", ".join(f"{qn(c)} = %s" for c in updates)
                    cursor.execute(f"UPDATE {qn(table)} SET {assignments} WHERE id = %s", [*updates.values(), pk])

    return migrations.RunPython(forwards, migrations.RunPython.noop)
