from django.db import migrations


def install(apps, schema_editor):
    from apartments.checklists import install_default_checklists

    install_default_checklists(
        apps.get_model("apartments", "ChecklistTemplate"), apps.get_model("apartments", "ChecklistItem")
    )


class Migration(migrations.Migration):
    dependencies = [("apartments", "0002_inspections")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
