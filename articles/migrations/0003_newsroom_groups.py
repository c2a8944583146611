from django.contrib.auth.management import create_permissions
from django.db import migrations

# The one place that gives each role its permissions (articles/roles.py holds only the
# names). Frozen as written: a later change belongs in a new migration, and
# tests/test_roles.py says what each role can do.
GROUP_PERMISSIONS = {
    "Authors": [
        "articles.add_article",
        "articles.change_article",
        "articles.view_article",
        "articles.submit_article",
        "articles.view_author",
        "articles.view_topic",
        "articles.view_historicalarticle",
    ],
    "Reviewers": [
        "articles.view_article",
        "articles.review_article",
        "articles.view_author",
        "articles.view_topic",
        "articles.view_historicalarticle",
    ],
    "Editors": [
        "articles.add_article",
        "articles.change_article",
        "articles.delete_article",
        "articles.view_article",
        "articles.submit_article",
        "articles.review_article",
        "articles.publish_article",
        "articles.edit_any_article",
        "articles.add_author",
        "articles.change_author",
        "articles.view_author",
        "articles.add_topic",
        "articles.change_topic",
        "articles.delete_topic",
        "articles.view_topic",
        "articles.view_historicalarticle",
    ],
}


def create_newsroom_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, permission_names in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=name.split(".")[0], codename=name.split(".")[1])
            for name in permission_names
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_workflow_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_newsroom_groups, migrations.RunPython.noop)]
