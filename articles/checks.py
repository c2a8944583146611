"""A database part-way through the migrations that this release squashed.

`0001_squashed_0009_launch_to_scale` replaces 0001 to 0009, which are no longer in the tree.
A database with all of them applied (the previous release) counts it as applied, and an empty
one runs it; one with only some of them cannot be migrated by this release, and Django would
stop with a KeyError from deep in the migration state. `migrate` runs this check first, so it
says what to do instead (README, "Upgrading").
"""

import importlib

from django.core import checks
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

SQUASHED = "0001_squashed_0009_launch_to_scale"


@checks.register(checks.Tags.database)
def check_not_part_way_through_the_squash(databases=None, **kwargs):
    replaced = importlib.import_module(f"articles.migrations.{SQUASHED}").Migration.replaces
    errors = []
    for alias in databases or []:
        recorder = MigrationRecorder(connections[alias])
        if not recorder.has_table():
            continue
        recorded = recorder.applied_migrations()
        applied = [key for key in replaced if key in recorded]
        if applied and len(applied) < len(replaced):
            errors.append(
                checks.Error(
                    f"The database {alias!r} is part-way through the articles migrations of an earlier "
                    f"release: {applied[-1][1]} is its last, and this release needs all of them, "
                    f"up to {replaced[-1][1]} (they are squashed into {SQUASHED}).",
                    hint=f"Migrate it to {replaced[-1][1]} with the previous release (manage.py migrate "
                    f"articles {replaced[-1][1]}), then run migrate with this one.",
                    id="articles.E001",
                )
            )
    return errors
