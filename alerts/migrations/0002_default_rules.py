from django.db import migrations


def load(apps, schema_editor):
    from alerts.defaults import load_defaults

    load_defaults(
        apps.get_model("sensors", "DeviceType"),
        apps.get_model("alerts", "AlertRule"),
        apps.get_model("alerts", "RuleCondition"),
        apps.get_model("alerts", "EscalationStep"),
    )


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial"), ("sensors", "0002_device_catalog")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
