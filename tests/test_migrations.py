"""Upgrading across the squash: the articles app's 0001 to 0009 are one migration now."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from articles.checks import SQUASHED, check_not_part_way_through_the_squash

pytestmark = pytest.mark.django_db

NEW_IN_THIS_RELEASE = ["0010_review_desk"]


def recorded(*names):
    return MigrationRecorder.Migration.objects.filter(app="articles", name__in=names)


def test_a_database_of_the_previous_release_counts_the_squash_as_applied_and_gets_only_the_new():
    recorded(SQUASHED, *NEW_IN_THIS_RELEASE).delete()  # as migrated up to 0009 by the previous release

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())

    assert [(migration.app_label, migration.name) for migration, _ in plan] == [
        ("articles", name) for name in NEW_IN_THIS_RELEASE
    ]
    assert check_not_part_way_through_the_squash(databases=["default"]) == []


def test_a_database_part_way_through_the_old_migrations_is_told_to_finish_them_first():
    recorded("0006_topics_history", "0007_page_edition", "0008_search_scale", "0009_reader_indexes").delete()

    with pytest.raises(SystemCheckError, match="0005_search is its last") as refused:
        call_command("migrate", verbosity=0, skip_checks=False)  # as manage.py migrate runs it
    assert "manage.py migrate articles 0009_reader_indexes" in str(refused.value)
