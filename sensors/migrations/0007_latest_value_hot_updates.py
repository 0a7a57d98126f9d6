"""LatestValue rows are rewritten by every reading: room on each page for heap-only updates (PostgreSQL), and no
index on device of its own (the unique (device, metric) index starts with it). See LatestValue's docstring.
Pages written before keep their old fill until rewritten: on a running system, `VACUUM FULL sensors_latestvalue` once
(a few seconds for a district's devices)."""

from django.db import migrations, models
import django.db.models.deletion


def fillfactor(apps, schema_editor, value: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE sensors_latestvalue SET (fillfactor = {int(value)})")


class Migration(migrations.Migration):
    dependencies = [
        ("sensors", "0006_rejection_flooding"),
    ]

    operations = [
        migrations.AlterField(
            model_name="latestvalue",
            name="device",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="latest_values",
                to="sensors.device",
                verbose_name="设备",
            ),
        ),
        migrations.RunPython(
            lambda apps, editor: fillfactor(apps, editor, 50),
            lambda apps, editor: fillfactor(apps, editor, 100),
        ),
    ]
