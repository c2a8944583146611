import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from articles.seeding import DEFAULT_BATCH_SIZE, DEFAULT_SEED, seed_articles


def _whole_number(name, value, *, minimum):
    """`value` (from the command line, or from call_command) as an int of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CommandError(f"--{name} must be a whole number, not {value!r}.")
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"--{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise CommandError(f"--{name} must be at least {minimum}, not {number}.")
    return number


class Command(BaseCommand):
    help = (
        "Add N realistic published articles (authors, reviewers, topics, links between them, "
        "about a third mentioning batteries), written in bulk with every invariant of a save: "
        "rendered HTML, search index, links, one revision each. The same --seed on the same "
        "database gives the same articles; running again adds more."
    )

    def add_arguments(self, parser):
        # Read as text and checked in handle(), so that a bad value gets the same clear
        # CommandError from the command line as from call_command.
        parser.add_argument("--count", required=True, help="How many articles to add (at least 1).")
        parser.add_argument(
            "--seed", default=DEFAULT_SEED, help=f"Random seed (a whole number; {DEFAULT_SEED} if not given)."
        )
        parser.add_argument(
            "--batch-size",
            default=DEFAULT_BATCH_SIZE,
            help=f"Articles per transaction ({DEFAULT_BATCH_SIZE} if not given).",
        )

    def handle(self, *args, **options):
        count = _whole_number("count", options["count"], minimum=1)
        seed = _whole_number("seed", options["seed"], minimum=None)
        batch_size = _whole_number("batch-size", options["batch_size"], minimum=1)
        started = time.perf_counter()
        # The bar goes to stderr's own stream: Django's wrapper would end every redraw
        # with a newline.
        with tqdm(
            total=count,
            unit="article",
            file=getattr(self.stderr, "_out", self.stderr),
            disable=options["verbosity"] == 0,
            dynamic_ncols=True,
        ) as bar:
            ids = seed_articles(count, seed=seed, batch_size=batch_size, progress=bar.update)
        elapsed = time.perf_counter() - started
        if options["verbosity"] > 0:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {len(ids)} published articles (ids {ids[0]} to {ids[-1]}) "
                    f"in {elapsed:.1f} s, seed {seed}."
                )
            )
