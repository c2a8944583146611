"""The newsroom's roles as the migrations leave them in the database: what each one can do."""

import pytest
from django.contrib.auth.models import Group

from articles.roles import AUTHORS, EDITORS, REVIEWERS, ROLE_GROUPS
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

EVERYONE = {AUTHORS, REVIEWERS, EDITORS}
NOBODY = set()

# Who may do what. A permission no role holds is listed where a role might be expected to.
WHO_CAN = {
    "articles.view_article": EVERYONE,
    "articles.add_article": {AUTHORS, EDITORS},
    "articles.change_article": {AUTHORS, EDITORS},
    "articles.submit_article": {AUTHORS, EDITORS},
    "articles.review_article": {REVIEWERS, EDITORS},
    "articles.publish_article": {EDITORS},
    "articles.edit_any_article": {EDITORS},
    "articles.delete_article": {EDITORS},
    "articles.view_historicalarticle": EVERYONE,
    "articles.view_author": EVERYONE,
    "articles.add_author": {EDITORS},
    "articles.change_author": {EDITORS},
    "articles.delete_author": NOBODY,
    "articles.view_topic": EVERYONE,
    "articles.add_topic": {EDITORS},
    "articles.change_topic": {EDITORS},
    "articles.delete_topic": {EDITORS},
    # Lifting a lockout, turning off a colleague's lost two-factor device (logins/).
    "axes.view_accessattempt": {EDITORS},
    "axes.delete_accessattempt": {EDITORS},
    "otp_totp.view_totpdevice": {EDITORS},
    "otp_totp.delete_totpdevice": {EDITORS},
    "otp_totp.change_totpdevice": NOBODY,
    "auth.change_user": NOBODY,
    "auth.change_group": NOBODY,
}


def test_the_migrations_create_one_group_per_role():
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLE_GROUPS.values()) == EVERYONE


@pytest.mark.parametrize("role", [AUTHORS, REVIEWERS, EDITORS])
def test_a_member_of_a_role_can_do_exactly_what_the_role_allows(role):
    member = StaffUserFactory()
    member.groups.add(Group.objects.get(name=role))

    allowed = {permission for permission, roles in WHO_CAN.items() if role in roles}
    assert member.get_all_permissions() == allowed
