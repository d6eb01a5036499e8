"""The two editorial roles as groups: Editors (add, change, delete) and Viewers (read only).

The permission lists are written out here rather than imported from the app so
that this migration keeps meaning what it meant when it ran.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

#: Every record and link table of the tracker.
MODELS = (
    "actor",
    "source",
    "agreement",
    "agreementparty",
    "exercise",
    "exerciseparticipant",
    "armsdeal",
    "armsdealcontractor",
    "statement",
    "citation",
)


def editor_codenames():
    codenames = [f"{action}_{model}" for model in MODELS for action in ("add", "change", "delete", "view")]
    return [*codenames, "view_deletedrecord"]


def viewer_codenames():
    return [*(f"view_{model}" for model in MODELS), "view_deletedrecord"]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Editors", editor_codenames()), ("Viewers", viewer_codenames())):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Viewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0002_search_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
