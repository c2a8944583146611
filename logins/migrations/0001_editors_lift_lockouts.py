from django.contrib.auth.management import create_permissions
from django.db import migrations

# Editors see failed logins and lift lockouts in the admin (Access attempts: delete the row);
# they may also turn off a colleague's two-factor codes (TOTP devices: delete the device) for
# someone who lost their phone.
EDITOR_PERMISSIONS = [
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
    ("otp_totp", "view_totpdevice"),
    ("otp_totp", "delete_totpdevice"),
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    for label in ("axes", "otp_totp"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in EDITOR_PERMISSIONS
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for editors in Group.objects.filter(name="Editors"):
        editors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label__in={app_label for app_label, _ in EDITOR_PERMISSIONS},
                codename__in=[codename for _, codename in EDITOR_PERMISSIONS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_squashed_0009_launch_to_scale"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
