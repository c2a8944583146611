"""The newsroom's roles: Django groups and the permissions each one holds.

A data migration creates these groups on every database; `manage.py add_staff` puts
people in them. The workflow checks permissions, not group names, so a superuser (who
holds every permission) can do what an editor can, and still cannot review their own
article.
"""

AUTHORS = "Authors"
REVIEWERS = "Reviewers"
EDITORS = "Editors"

ROLE_GROUPS = {"author": AUTHORS, "reviewer": REVIEWERS, "editor": EDITORS}

GROUP_PERMISSIONS = {
    AUTHORS: [
        "articles.add_article",
        "articles.change_article",
        "articles.view_article",
        "articles.submit_article",
        "articles.view_author",
        "articles.view_topic",
        "articles.view_historicalarticle",
    ],
    REVIEWERS: [
        "articles.view_article",
        "articles.review_article",
        "articles.view_author",
        "articles.view_topic",
        "articles.view_historicalarticle",
    ],
    EDITORS: [
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


def create_groups(group_model, permission_model):
    """Create (or bring up to date) the three groups with their permissions.

    Takes the models as arguments so that the data migration can pass its historical ones.
    """
    for group_name, permission_names in GROUP_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        permissions = []
        for name in permission_names:
            app_label, codename = name.split(".")
            permissions.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)
