"""The emergency contact's name is personal data of a third person: Fernet-encrypted like the phone (issue #13)."""

from django.db import migrations, models

import shijiao.pii


def encrypt_names(apps, schema_editor):
    # Raw SQL: the model state between the two AlterFields is a plain text column holding the clear names.
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, emergency_contact_name FROM residents_resident WHERE emergency_contact_name <> ''")
        rows = cursor.fetchall()
        for pk, name in rows:
            cursor.execute(
                "UPDATE residents_resident SET emergency_contact_name = %s WHERE id = %s",
                [shijiao.pii.encrypt(name), pk],
            )


def decrypt_names(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, emergency_contact_name FROM residents_resident WHERE emergency_contact_name <> ''")
        for pk, token in cursor.fetchall():
            cursor.execute(
                "UPDATE residents_resident SET emergency_contact_name = %s WHERE id = %s",
                [shijiao.pii.decrypt(token)[:64], pk],
            )


class Migration(migrations.Migration):
    dependencies = [("residents", "0003_resident_anonymised_at")]

    operations = [
        migrations.AlterField(
            model_name="resident",
            name="emergency_contact_name",
            field=models.TextField(blank=True, default="", verbose_name="紧急联系人"),
        ),
        migrations.RunPython(encrypt_names, decrypt_names),
        migrations.AlterField(
            model_name="resident",
            name="emergency_contact_name",
            field=shijiao.pii.EncryptedTextField(blank=True, default="", verbose_name="紧急联系人"),
        ),
    ]
