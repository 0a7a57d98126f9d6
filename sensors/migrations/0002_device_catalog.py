from __future__ import annotations

from django.db import migrations

from sensors.catalog import load_catalog


def load(apps, schema_editor):
    load_catalog(apps.get_model("sensors", "DeviceType"), apps.get_model("sensors", "Metric"))


class Migration(migrations.Migration):
    dependencies = [("sensors", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
