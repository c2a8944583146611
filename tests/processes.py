"""Running the repo's Python in a process of its own, for tests about what a fresh process sees
(settings read from the environment, a command line's output, memory use)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_python(args, *, env, timeout=60):
    """Run this interpreter with `args` in the repo folder and `env` as the whole environment.

    Returns the finished process (text stdout and stderr) whatever its exit code: the test
    says which code it expects."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
