"""The newsroom's roles: the names of the Django groups that hold them.

Migration 0001 creates the groups with their permissions on every database (a later
change to what a role may do is a new migration); tests/test_roles.py reads them back
and says what each role can do. `manage.py add_staff` puts people in them. The workflow
checks permissions, not group names, so a superuser (who holds every permission) can do
what an editor can, and still cannot review their own article.
"""

AUTHORS = "Authors"
REVIEWERS = "Reviewers"
EDITORS = "Editors"

ROLE_GROUPS = {"author": AUTHORS, "reviewer": REVIEWERS, "editor": EDITORS}
