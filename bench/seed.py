"""Child process: build one benchmark database (DATABASE_URL from the environment).

    python -m bench.seed --count N [--seed S]

Migrates, loads the launch content (`load_launch`, else `loaddata launch`) and, for N > 0, runs `seed_articles --count N --seed S`.
Prints the timings and the number of published articles as JSON on the last line.
"""

import argparse
import json
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command, get_commands

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = time.perf_counter() - started

    started = time.perf_counter()
    # load_launch also copies the launch covers into the media storage.
    if "load_launch" in get_commands():
        call_command("load_launch", verbosity=0)
    else:
        call_command("loaddata", "launch", verbosity=0)
    timings["launch_s"] = time.perf_counter() - started

    if args.count > 0:
        started = time.perf_counter()
        call_command("seed_articles", count=args.count, seed=args.seed)
        timings["seed_s"] = time.perf_counter() - started

    from articles.models import Article

    timings["published"] = Article.objects.published().count()
    timings["articles"] = Article.objects.count()
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
