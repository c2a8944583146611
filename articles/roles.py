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
