"""Running the repo's Python in a process of its own, for tests about what a fresh process sees
(settings read from the environment, a command line's output, memory use, servers started for
real)."""

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_python(args, *, env, timeout=60):
    """Run this interpreter with `args` in the repo folder and `env` as the whole environment.

    Returns the finished process (text stdout and stderr) whatever its exit code: the test
    says which code it expects."""
    command = [sys.executable, *args]
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def newsroom_script(then, *, password=None):
    """A script for `manage.py shell` in a process of its own: ana (Authors), rui (Reviewers) and
    eda (Editors), staff with a byline and `password`, then the code `then`, which has them as
    author, reviewer and editor, and workflow, Article and Author."""
    members = textwrap.dedent(
        f"""
        from django.contrib.auth.models import Group, User
        from articles import workflow
        from articles.models import Article, Author

        def member(username, group):
            user = User.objects.create_user(username, password={password!r}, is_staff=True)
            user.groups.add(Group.objects.get(name=group))
            Author.objects.create(user=user, name=username.title(), slug=username)
            return user

        author, reviewer = member("ana", "Authors"), member("rui", "Reviewers")
        editor = member("eda", "Editors")
        """
    )
    return members + textwrap.dedent(then)
