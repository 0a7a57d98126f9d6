"""The default rule of the door's PIN lockout (issue #13 item 5): load_defaults creates only what is missing."""

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
    dependencies = [("alerts", "0003_command_results")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
