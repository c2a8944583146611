"""Seeding: many realistic published articles at once, for benchmarks and demos.

`seed_articles(count, seed=...)` (the `seed_articles` management command) writes `count`
published articles as if each had gone through the newsroom: written by one of the
seeded authors, approved by another, published at a time spread over the past years,
with topics, inline links to earlier seeded articles, and about a third mentioning
batteries. The same seed on the same database gives the same articles; another run adds
more, with slugs that no article or old slug (SlugRedirect) has.

It writes in bulk, one transaction per batch: binary COPY on PostgreSQL, where two
connections write batches side by side while the next ones are planned (they commit in
order), executemany on SQLite. It keeps every invariant that `Article.save()` and the
workflow keep:

- `body_html`, `toc_html`, `take_html` and `word_count` are exactly what `Article.render()`
  gives for the stored body and take (see "Rendering once" below);
- the search index: PostgreSQL computes its generated `search_vector` column on every
  insert, and SQLite's FTS5 triggers fire on every insert, whoever inserts;
- the "Linked from" relation (`outbound_links`) holds exactly the seeded articles each
  body links to, as `links.record_links` would store them; links go to articles
  published earlier (committed before, so the foreign keys hold), and an article that
  does not mention batteries links only to others that do not (a slug is part of the
  searched Markdown, so a linked "...-battery-..." slug would make it a battery match);
- exactly one revision each (history type "+", the article as published), with its
  topics in simple-history's m2m table, as simple-history records them on a save;
- the model's check constraints: published with a date, reviewer never the author, no
  cover (so no alt text is needed);
- the timeline the workflow leaves for a published article: created, submitted, approved
  (by the reviewer), published; `version` 4, as after those three transitions. Every
  timestamp follows that order: created_at < submitted < approved_at < published_at =
  updated_at, and the revision is dated at publication;
- the page cache: each batch moves the site's edition on in its own transaction, like
  any publish does.

Rendering once
--------------
Rendering Markdown is the slow part of a save (milliseconds each). A seeded body is one of
a pool of body templates, each rendered once through `Article.render()` with stand-in
tokens where the per-article values go: the subject (a car's name) and its make in
paragraph text, and the slugs of linked articles in link targets (`/articles/<token>/`). Each article's
Markdown and HTML are the template's with the tokens replaced by the same values. That
gives exactly what rendering the filled Markdown would give, because:

- a token is a run of letters that the renderer copies through unchanged, and it
  appears in the HTML exactly as often as in the Markdown (checked for every template);
- tokens stand only in paragraph text and link targets, never in a heading, so heading
  ids and the table of contents do not depend on them (checked: no token in toc_html);
- the values are of a kind the renderer also copies through unchanged in those places:
  slugs are [a-z0-9] groups joined by single hyphens; names are letter and digit groups
  joined by single spaces, hyphens or dots (no Markdown, HTML or typography characters:
  no quotes, `--`, `...`, `&`, `<`, `_`, `*`); both are checked;
- the word count is the template's, plus the extra words each name brings (a token is
  within one word of the text; the value adds as many words as it has spaces).

tests/test_seeding.py re-renders seeded articles through `Article.render()` and compares.
"""

import functools
import itertools
import json
import operator
import queue
import random
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from . import pagecache
from .models import Article, ArticleEvent, Author, SlugRedirect, Topic
from .workflow import content_hash

Status = Article.Status
Action = ArticleEvent.Action

DEFAULT_SEED = 1
DEFAULT_BATCH_SIZE = 2000
YEARS_BACK = 6
# Each (battery?, length) group of body templates has this many; 2 x 3 x 60 = 360 in all,
# each rendered the first time an article uses it.
TEMPLATES_PER_GROUP = 60
BATTERY_SHARE = 1 / 3

# ---------------------------------------------------------------------------------------
# Who and what: the topics and the people (created when missing), and what they write.
# The pools are data, in seed_content.json beside this module; `{S}` in a text is the
# article's subject (a car), filled per article; the other fields are filled once per
# template or per title from the word lists.

POOL = json.loads(Path(__file__).with_name("seed_content.json").read_text(encoding="utf-8"))
TOPICS = POOL["topics"]  # (name, slug, description); the first four are the launch fixture's
AUTHOR_NAMES = POOL["author_names"]
# The first REVIEWERS of AUTHOR_NAMES also review other people's articles.
REVIEWERS = 8
RIVALS = [f"{make} {model}" for make, model, _ in POOL["subjects"]]

# ---------------------------------------------------------------------------------------
# The tokens that stand for per-article values in a rendered template.

SUBJECT_TOKEN = "Zqsubjectqz"
MAKE_TOKEN = "Zqmakeqz"
LINK_TOKENS = ["zqlinkaqz", "zqlinkbqz", "zqlinkcqz"]
MAX_LINKS = len(LINK_TOKENS)
_SAFE_SUBJECT = re.compile(r"[A-Za-z0-9]+(?:[ .-][A-Za-z0-9]+)*")
_SAFE_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_BATTERY = re.compile("batter", re.IGNORECASE)


def _check_pools():
    """What the seeding promises of its word lists, checked once at import."""
    for make, model, _ in POOL["subjects"]:
        assert _SAFE_SUBJECT.fullmatch(f"{make} {model}"), model
    # Only the battery pools mention batteries, so that searching for "battery" finds
    # exactly the articles that were meant to mention them.
    without_batteries = [
        *POOL["news_titles"],
        *(title for titles in POOL["feature_titles"].values() for title in titles),
        *POOL["standfirsts"],
        *POOL["general_sentences"],
        *POOL["link_sentences"],
        *POOL["takes"],
        *POOL["verdicts"],
        *POOL["faults"],
        *POOL["segments"],
        *POOL["suppliers"],
        *RIVALS,
        *POOL["countries"],
        *POOL["cities"],
        *(f"{name} {value}" for name, value in POOL["spec_rows"]),
        *(text for theme in POOL["themes"].values() for text in theme["sentences"] + theme["headings"]),
    ]
    assert not [text for text in without_batteries if _BATTERY.search(text)]
    assert all(
        _BATTERY.search(text)
        for text in POOL["battery_sentences"] + POOL["battery_titles"] + POOL["battery_standfirsts"]
    )
    topic_names = {name for name, _, _ in TOPICS}
    # Every topic of the pool gets articles.
    assert {name for theme in POOL["themes"].values() for name in theme["topics"]} == topic_names - {
        "Batteries"
    }


_check_pools()


@dataclass(frozen=True)
class BodyTemplate:
    """A body rendered once, with tokens for the subject and the linked slugs."""

    markdown: str
    html: str
    toc_html: str
    word_count: int
    theme: str
    links: int  # how many link tokens it uses: LINK_TOKENS[:links]
    subjects_in_text: int  # how often SUBJECT_TOKEN is in the text
    makes_in_text: int  # how often MAKE_TOKEN is in the text

    def fill(self, *, subject, make, slugs):
        """(markdown, html, word_count) for one article: the tokens replaced by its values."""
        for value in (subject, make):
            if not _SAFE_SUBJECT.fullmatch(value):
                raise ValueError(f"Not a name a template can take: {value!r}")
        if len(slugs) != self.links:
            raise ValueError(f"This template links to {self.links} articles, not {len(slugs)}.")
        markdown, html = self.markdown, self.html
        for token, value in ((SUBJECT_TOKEN, subject), (MAKE_TOKEN, make)):
            markdown = markdown.replace(token, value)
            html = html.replace(token, value)
        for token, slug in zip(LINK_TOKENS, slugs, strict=False):
            if not _SAFE_SLUG.fullmatch(slug):
                raise ValueError(f"Not a slug a template can take: {slug!r}")
            markdown = markdown.replace(token, slug)
            html = html.replace(token, slug)
        extra_words = (len(subject.split()) - 1) * self.subjects_in_text
        extra_words += (len(make.split()) - 1) * self.makes_in_text
        return markdown, html, self.word_count + extra_words


def render_template(markdown, *, theme, links):
    """Render a body template through `Article.render()` and check that its tokens are
    safe to replace afterwards (see "Rendering once" in the module docstring)."""
    article = Article(body=markdown, take="")
    article.render()
    for token in [SUBJECT_TOKEN, MAKE_TOKEN, *LINK_TOKENS]:
        in_markdown, in_html = markdown.count(token), article.body_html.count(token)
        if in_markdown != in_html or token in article.toc_html:
            raise ValueError(f"The token {token} does not come through rendering unchanged.")
    for token in LINK_TOKENS[links:]:
        if token in markdown:
            raise ValueError(f"Unexpected {token} in a template with {links} links.")
    return BodyTemplate(
        markdown=markdown,
        html=article.body_html,
        toc_html=article.toc_html,
        word_count=article.word_count,
        theme=theme,
        links=links,
        # The counts matched above, and no token is in an attribute or a heading: every
        # occurrence is in the text.
        subjects_in_text=article.body_html.count(SUBJECT_TOKEN),
        makes_in_text=article.body_html.count(MAKE_TOKEN),
    )


class _Filler:
    """Fills `{field}` in a sentence from the lists above, with a given random source."""

    _FIELD = re.compile(r"\{(\w+)\}")

    def __init__(self, rng, *, subject=SUBJECT_TOKEN, make=MAKE_TOKEN):
        self.rng = rng
        self.subject = subject
        self.make = make

    def __call__(self, text):
        return self._FIELD.sub(lambda match: self.value(match.group(1)), text)

    def value(self, name):
        rng = self.rng
        if name == "S":
            return self.subject
        if name == "make":
            return self.make
        if name in WORD_FIELDS:
            return rng.choice(WORD_FIELDS[name])
        low, high = NUMBER_FIELDS[name]
        number = rng.randint(low, high)
        return f"{number},{rng.randint(0, 9)}00" if name == "price" else str(number)


WORD_FIELDS = {
    "rival": RIVALS,
    "rival2": RIVALS,
    "country": POOL["countries"],
    "city": POOL["cities"],
    "supplier": POOL["suppliers"],
    "fault": POOL["faults"],
    "segment": POOL["segments"],
    "quarter": POOL["quarters"],
    "verdict": POOL["verdicts"],
}
NUMBER_FIELDS = {
    "year": (2025, 2031),
    "pct": (3, 40),
    "n": (2, 9),
    "price": (19, 89),
    "month": (2, 12),
    "km": (10, 90),
    "warranty": (5, 10),
    "litres": (320, 640),
    "kwh": (50, 100),
    "kwh2": (45, 95),
    "health": (86, 97),
    "minutes": (18, 35),
    "speed": (130, 250),
    "power": (70, 400),
    "accel": (4, 11),
}


def template_markdown(rng, *, battery, length, links_allowed=True):
    """The Markdown of one body template: (markdown, theme, links)."""
    _, _, paragraphs, headings, sentences, links = next(row for row in POOL["lengths"] if row[0] == length)
    theme_name = rng.choice(sorted(POOL["themes"]))
    theme = POOL["themes"][theme_name]
    fill = _Filler(rng)
    paragraph_count = rng.randint(*paragraphs)
    heading_count = min(rng.randint(*headings), paragraph_count - 1)
    link_count = rng.randint(*links) if links_allowed else 0
    heading_at = sorted(rng.sample(range(1, paragraph_count), heading_count)) if heading_count else []
    heading_names = rng.sample(theme["headings"], min(heading_count, len(theme["headings"])))
    link_at = [rng.randrange(paragraph_count) for _ in range(link_count)]
    battery_at = set(rng.sample(range(paragraph_count), max(1, paragraph_count // 3))) if battery else set()

    # Sentences are dealt from shuffled decks, so that none comes back before the deck
    # has run out; the first names the subject.
    draw = _dealer(rng, theme["sentences"] + POOL["general_sentences"])
    draw_battery = _dealer(rng, POOL["battery_sentences"])
    blocks = []
    for number in range(paragraph_count):
        if number in heading_at and heading_names:
            blocks.append(f"## {heading_names.pop()}")
        chosen = [draw(first=number == 0 and index == 0) for index in range(rng.randint(*sentences))]
        if number in battery_at:
            chosen.insert(rng.randrange(len(chosen) + 1), draw_battery())
        for index, at in enumerate(link_at):
            if at == number:
                chosen.append(
                    rng.choice(POOL["link_sentences"]).replace("{link}", f"/articles/{LINK_TOKENS[index]}/")
                )
        blocks.append(fill(" ".join(chosen)))
        if length == "feature" and number == paragraph_count // 2:
            blocks.append(_spec_table(fill) if rng.random() < 0.5 else _list(rng, fill, theme))
    return "\n\n".join(blocks) + "\n", theme_name, link_count


def _dealer(rng, sentences):
    """A function dealing `sentences` in random order, reshuffled when all are dealt;
    `first=True` deals one that names the subject."""
    deck = []

    def draw(first=False):
        if not deck:
            deck.extend(rng.sample(sentences, len(sentences)))
        if first:
            index = next((i for i, text in enumerate(deck) if "{S}" in text), None)
            if index is None:
                return rng.choice([text for text in sentences if "{S}" in text])
            return deck.pop(index)
        return deck.pop()

    return draw


def _spec_table(fill):
    rows = "\n".join(f"| {name} | {fill(value)} |" for name, value in POOL["spec_rows"])
    return f"| Specification | {SUBJECT_TOKEN} |\n| --- | ---: |\n{rows}"


def _list(rng, fill, theme):
    items = rng.sample(theme["sentences"], 3)
    return "\n".join(f"- {fill(item)}" for item in items)


class TemplateLibrary:
    """The body templates and takes of one seed, each rendered the first time it is used."""

    def __init__(self, seed):
        self.seed = seed
        self._bodies = {}
        self._takes = {}

    def body(self, *, battery, length, number):
        key = (battery, length, number)
        if key not in self._bodies:
            # Its own random source: a template does not depend on which came before it.
            rng = random.Random(f"{self.seed}:body:{int(battery)}:{length}:{number}")
            # Number 0 of each group links nowhere: the choice for the first articles.
            markdown, theme, links = template_markdown(
                rng, battery=battery, length=length, links_allowed=number != 0
            )
            self._bodies[key] = render_template(markdown, theme=theme, links=links)
        return self._bodies[key]

    def take(self, number):
        if number not in self._takes:
            article = Article(body="", take=POOL["takes"][number])
            article.render()
            self._takes[number] = article.take_html
        return self._takes[number]


@functools.lru_cache(maxsize=4)
def template_library(seed):
    """The library of a seed, kept for the next run in this process (tests seed often)."""
    return TemplateLibrary(seed)


# ---------------------------------------------------------------------------------------
# One article's plan: everything decided before writing.


@dataclass(slots=True)
class Plan:
    id: int
    slug: str
    title: str
    standfirst: str
    body: str
    body_html: str
    toc_html: str
    word_count: int
    take: str
    take_html: str
    author_id: int
    author_user_id: int | None
    reviewer_id: int
    reviewer_user_id: int | None
    topic_ids: list
    link_ids: list
    created_at: object
    submitted_at: object
    approved_at: object
    published_at: object


def _publication_times(rng, count, now):
    """`count` publication times over the past YEARS_BACK years, oldest first, in
    office-ish hours (UTC), never today."""
    days = YEARS_BACK * 365
    times = sorted(
        ((rng.randint(1, days), rng.randint(6 * 60, 21 * 60)) for _ in range(count)),
        key=lambda item: (-item[0], item[1]),
    )
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return [midnight - timedelta(days=day, minutes=-minute) for day, minute in times]


ELECTRIC_SUBJECTS = [subject for subject in POOL["subjects"] if subject[2]]


class Planner:
    """Decides, article by article in publication order, what each seeded article is."""

    def __init__(self, *, seed, count, now, newsroom, taken_slugs):
        authors, reviewers, topics = newsroom  # as `ensure_newsroom()` gives them
        self.rng = random.Random(seed)
        self.library = template_library(seed)
        self.times = _publication_times(self.rng, count, now)
        self.authors = [(author.pk, author.user_id) for author in authors]
        # Some people write more than others.
        self.author_weights = list(itertools.accumulate(1 + (index * 7) % 5 for index in range(len(authors))))
        self.reviewers_for = {
            author.pk: [(reviewer.pk, reviewer.user_id) for reviewer in reviewers if reviewer.pk != author.pk]
            for author in authors
        }
        self.topic_ids = {topic.name: topic.pk for topic in topics}
        self.taken_slugs = taken_slugs
        self.next_suffix = {}
        # The seeded articles so far, (id, slug), in publication order: link targets.
        # An article that does not mention batteries links only to others that do not
        # either (a slug is part of the Markdown, so it is searched too).
        self.earlier = []
        self.earlier_without_batteries = []
        self._lengths = [row[0] for row in POOL["lengths"]]
        self._length_weights = list(itertools.accumulate(row[1] for row in POOL["lengths"]))

    def plan(self, number, article_id):
        """The plan of the number-th article (counting from 0, in publication order)."""
        rng = self.rng
        battery = rng.random() < BATTERY_SHARE
        length = rng.choices(self._lengths, cum_weights=self._length_weights)[0]
        template = self.library.body(
            battery=battery, length=length, number=rng.randrange(TEMPLATES_PER_GROUP)
        )
        linkable = self.earlier if battery else self.earlier_without_batteries
        if template.links > len(linkable):
            # Too few earlier articles to link to.
            template = self.library.body(battery=battery, length=length, number=0)
        make, model, _ = rng.choice(ELECTRIC_SUBJECTS if battery else POOL["subjects"])
        subject = f"{make} {model}"
        targets = self._link_targets(template.links, linkable)
        body, body_html, word_count = template.fill(
            subject=subject, make=make, slugs=[slug for _, slug in targets]
        )

        fill = _Filler(rng, subject=subject, make=make)
        if battery:
            titles = POOL["battery_titles"]
        elif length == "news":
            titles = POOL["news_titles"]
        else:
            titles = POOL["feature_titles"].get(template.theme, POOL["feature_titles"]["general"])
        title = fill(rng.choice(titles))
        standfirst = fill(rng.choice(POOL["battery_standfirsts"] if battery else POOL["standfirsts"]))
        take = rng.randrange(len(POOL["takes"])) if rng.random() < 0.25 else None

        author_id, author_user_id = rng.choices(self.authors, cum_weights=self.author_weights)[0]
        reviewer_id, reviewer_user_id = rng.choice(self.reviewers_for[author_id])
        theme_topics = POOL["themes"][template.theme]["topics"]
        topics = [theme_topics[0], *(name for name in theme_topics[1:] if rng.random() < 0.4)]
        if battery:
            extra = "Batteries" if rng.random() < 0.7 else "Electric vehicles"
            if extra not in topics:
                topics.append(extra)

        published_at = self.times[number]
        approved_at = published_at - timedelta(minutes=rng.randint(5, 12 * 60))
        submitted_at = approved_at - timedelta(minutes=rng.randint(10, 24 * 60))
        created_at = submitted_at - timedelta(minutes=rng.randint(60, 3 * 24 * 60))

        slug = self._unique_slug(title)
        self.earlier.append((article_id, slug))
        if not battery:
            self.earlier_without_batteries.append((article_id, slug))
        return Plan(
            id=article_id,
            slug=slug,
            title=title,
            standfirst=standfirst,
            body=body,
            body_html=body_html,
            toc_html=template.toc_html,
            word_count=word_count,
            take="" if take is None else POOL["takes"][take],
            take_html="" if take is None else self.library.take(take),
            author_id=author_id,
            author_user_id=author_user_id,
            reviewer_id=reviewer_id,
            reviewer_user_id=reviewer_user_id,
            topic_ids=[self.topic_ids[name] for name in topics],
            link_ids=[target_id for target_id, _ in targets],
            created_at=created_at,
            submitted_at=submitted_at,
            approved_at=approved_at,
            published_at=published_at,
        )

    def _link_targets(self, count, linkable):
        """`count` different articles of `linkable`: mostly recent ones, sometimes any."""
        chosen = set()
        while len(chosen) < count:
            if self.rng.random() < 0.7:
                chosen.add(self.rng.randrange(max(0, len(linkable) - 200), len(linkable)))
            else:
                chosen.add(self.rng.randrange(len(linkable)))
        return [linkable[index] for index in sorted(chosen)]

    def _unique_slug(self, title):
        base = slugify(title)[:200].strip("-") or "article"
        slug, suffix = base, self.next_suffix.get(base, 1)
        while slug in self.taken_slugs:
            suffix += 1
            slug = f"{base}-{suffix}"
        self.next_suffix[base] = suffix
        self.taken_slugs.add(slug)
        return slug


# ---------------------------------------------------------------------------------------
# The people and the topics.


def ensure_newsroom():
    """The seeded authors (the first REVIEWERS of them also review) and the topic pool,
    created if missing; (authors, reviewers, topics)."""
    topics = []
    for name, slug, description in TOPICS:
        topic = Topic.objects.filter(slug=slug).first() or Topic.objects.filter(name=name).first()
        if topic is None:
            topic = Topic.objects.create(name=name, slug=slug, description=description)
        topics.append(topic)
    authors = []
    for index, name in enumerate(AUTHOR_NAMES):
        beat = POOL["author_beats"][index % len(POOL["author_beats"])]
        author, _ = Author.objects.get_or_create(
            slug=slugify(name),
            defaults={"name": name, "bio": f"{name.split()[0]} writes about {beat}."},
        )
        authors.append(author)
    return authors, authors[:REVIEWERS], topics


# ---------------------------------------------------------------------------------------
# Writing in bulk.


class _Table:
    """One table's rows as the database takes them, from tuples of the `given` fields.

    Every concrete field of the model is written: those not given get the field's
    default (so a field added to the model later is filled as a save would fill it).
    The primary key is written only when given; otherwise the database assigns it.
    """

    def __init__(self, model, connection, given):
        fields = {field.attname: field for field in model._meta.concrete_fields}
        unknown = set(given) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
        rest = [field for name, field in fields.items() if name not in given and not field.primary_key]
        self.table = model._meta.db_table
        self.pg_types = None  # the columns' type oids, for binary COPY
        self.columns = [fields[name].column for name in given] + [field.column for field in rest]
        self._tail = tuple(_prepare(field, connection)(field.get_default()) for field in rest)
        self._converters = [
            (index, converter)
            for index, name in enumerate(given)
            if (converter := _prepare(fields[name], connection)) is not _as_is
        ]

    def rows(self, tuples):
        tail, converters = self._tail, self._converters
        if not converters:
            return [row + tail for row in tuples]
        rows = []
        for values in tuples:
            row = list(values)
            for index, converter in converters:
                row[index] = converter(row[index])
            rows.append((*row, *tail))
        return rows


def _as_is(value):
    return value


_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)


def _prepare(field, connection):
    """How a Python value of `field` goes to the database in a bulk write."""
    if connection.vendor == "postgresql":
        # Binary COPY takes str, int, None and aware datetimes as they are.
        if isinstance(field, models.JSONField):
            from psycopg.types.json import Jsonb

            def dumps(value):
                return json.dumps(value, cls=field.encoder)

            return lambda value: Jsonb(value, dumps=dumps)
        return _as_is
    if isinstance(field, _PLAIN_FIELDS):
        return _as_is
    if isinstance(field, models.DateTimeField):
        # What get_db_prep_save comes to for an aware datetime, without its checks: a
        # third of SQLite's seeding time otherwise.
        return connection.ops.adapt_datetimefield_value
    return lambda value: field.get_db_prep_save(value, connection=connection)


def allocate_ids(connection, model, count):
    """`count` new primary keys for `model`, in increasing order, never used before."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # From the table's sequence, as an insert would take them: safe alongside
            # other writers, in or outside a transaction.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite: above the table's AUTOINCREMENT counter too, so that no id of a deleted
        # row (which its revisions still name) is given again. The inserts that use these
        # ids follow in the same transaction; should another connection write in between,
        # SQLite refuses this transaction's first write ("database is locked"), so an id
        # is never taken twice.
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        highest = max(highest, row[0] if row else 0)
    return list(range(highest + 1, highest + 1 + count))


def insert(connection, table, tuples):
    """Insert rows into `table` (a _Table): COPY on PostgreSQL, executemany elsewhere."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in table.columns)
    rows = table.rows(tuples)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if table.pg_types is None:
                cursor.execute(f"SELECT {columns} FROM {quote(table.table)} LIMIT 0")
                table.pg_types = [column.type_code for column in cursor.description]
            # Binary: no text to escape on this side or to parse on the server's, a third
            # less work on both for rows this long.
            with cursor.cursor.copy(
                f"COPY {quote(table.table)} ({columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(table.pg_types)
                for row in rows:
                    copy.write_row(row)
        elif rows:
            placeholders = ", ".join(["%s"] * len(table.columns))
            cursor.executemany(f"INSERT INTO {quote(table.table)} ({columns}) VALUES ({placeholders})", rows)


ARTICLE_FIELDS = [
    "id",
    "title",
    "slug",
    "standfirst",
    "body",
    "take",
    "body_html",
    "toc_html",
    "take_html",
    "word_count",
    "author_id",
    "reviewer_id",
    "status",
    "approved_at",
    "approved_hash",
    "published_at",
    "created_at",
    "created_by_id",
    "updated_at",
    "version",
    "cover",
    "cover_width",
    "cover_height",
    "cover_alt",
]
HISTORY_FIELDS = ["history_id", "history_date", "history_change_reason", "history_type", "history_user_id"]
EVENT_FIELDS = ["article_id", "user_id", "action", "from_status", "to_status", "comment", "created_at"]
# The versions an article goes through from creation to publication: created (1),
# submitted (2), approved (3), published (4).
PUBLISHED_VERSION = 4


class ArticleWriter:
    """Writes planned articles and everything a save and the workflow leave with them."""

    def __init__(self, connection):
        self.connection = connection
        history = Article.history.model
        self.history_model = history
        # What a revision copies from the article; a tracked field the seed does not set
        # gets its default, as on the article.
        tracked = [field.attname for field in history.tracked_fields if field.attname in ARTICLE_FIELDS]
        self.revision_of = operator.itemgetter(*(ARTICLE_FIELDS.index(name) for name in tracked))
        self.articles = _Table(Article, connection, ARTICLE_FIELDS)
        self.history = _Table(history, connection, tracked + HISTORY_FIELDS)
        self.topics = _Table(Article.topics.through, connection, ["id", "article_id", "topic_id"])
        self.links = _Table(Article.outbound_links.through, connection, ["from_article_id", "to_article_id"])
        self.events = _Table(ArticleEvent, connection, EVENT_FIELDS)
        # simple-history stores the rows of each tracked m2m field at each revision; of
        # those, seeded articles have topics only.
        self.topic_revisions = None
        for field in history._history_m2m_fields:
            if field.name == "topics":
                self.topic_revisions = _Table(
                    HistoricalRecords.m2m_models[field],
                    connection,
                    ["id", "article_id", "topic_id", "history_id"],
                )

    def write(self, plans):
        connection = self.connection
        articles = [self._article_row(plan) for plan in plans]
        insert(connection, self.articles, articles)

        topic_rows = [(plan.id, topic_id) for plan in plans for topic_id in plan.topic_ids]
        topic_row_ids = allocate_ids(connection, Article.topics.through, len(topic_rows))
        topic_rows = [(row_id, *row) for row_id, row in zip(topic_row_ids, topic_rows, strict=True)]
        insert(connection, self.topics, topic_rows)
        insert(connection, self.links, [(plan.id, target) for plan in plans for target in plan.link_ids])

        history_ids = allocate_ids(connection, self.history_model, len(plans))
        revision_of = self.revision_of
        insert(
            connection,
            self.history,
            [
                (*revision_of(article), history_id, plan.published_at, None, "+", plan.author_user_id)
                for history_id, plan, article in zip(history_ids, plans, articles, strict=True)
            ],
        )
        if self.topic_revisions is not None:
            history_of = {plan.id: history_id for plan, history_id in zip(plans, history_ids, strict=True)}
            insert(connection, self.topic_revisions, [(*row, history_of[row[1]]) for row in topic_rows])
        insert(connection, self.events, [event for plan in plans for event in self._events(plan)])

    @staticmethod
    def _article_row(plan):
        # In the order of ARTICLE_FIELDS.
        return (
            plan.id,
            plan.title,
            plan.slug,
            plan.standfirst,
            plan.body,
            plan.take,
            plan.body_html,
            plan.toc_html,
            plan.take_html,
            plan.word_count,
            plan.author_id,
            plan.reviewer_id,
            Status.PUBLISHED.value,
            plan.approved_at,
            content_hash(plan),  # the approval is pinned to these words, as workflow.approve does
            plan.published_at,
            plan.created_at,
            plan.author_user_id,  # created by its author
            plan.published_at,  # updated_at: the last save was the publication
            PUBLISHED_VERSION,
            "",  # no cover, so no alt text and no renditions
            None,
            None,
            "",
        )

    @staticmethod
    def _events(plan):
        """The timeline the workflow leaves: created, submitted, approved, published."""
        article_id, author_user = plan.id, plan.author_user_id
        return [
            (article_id, author_user, CREATED, "", DRAFT, "", plan.created_at),
            (article_id, author_user, SUBMITTED, DRAFT, IN_REVIEW, "", plan.submitted_at),
            (article_id, plan.reviewer_user_id, APPROVED, IN_REVIEW, APPROVED, "", plan.approved_at),
            # Published by an editor the seed does not know: no user, as after the
            # editor's account is deleted.
            (article_id, None, PUBLISHED, APPROVED, PUBLISHED, "", plan.published_at),
        ]


CREATED, SUBMITTED = Action.CREATED.value, Action.SUBMITTED.value
DRAFT, IN_REVIEW, APPROVED, PUBLISHED = (
    Status.DRAFT.value,
    Status.IN_REVIEW.value,
    Status.APPROVED.value,
    Status.PUBLISHED.value,
)
assert Action.APPROVED.value == APPROVED and Action.PUBLISHED.value == PUBLISHED


# ---------------------------------------------------------------------------------------
# The whole run.


def seed_articles(count, *, seed=DEFAULT_SEED, batch_size=DEFAULT_BATCH_SIZE, progress=None, writers=None):
    """Write `count` published articles; returns their ids, oldest first.

    One transaction per batch of `batch_size` articles: a batch is there whole or not at
    all. `progress(n)` is called after each batch with the number of articles it wrote.

    On PostgreSQL, `writers` connections (2 unless given, or 1 inside a transaction) write
    batches side by side while this thread plans the next ones; batches still commit in
    order, so that every link points to an article already committed.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    # The default database: the page cache's edition lives there too.
    using = DEFAULT_DB_ALIAS
    connection = connections[using]
    if writers is None:
        writers = 2 if connection.vendor == "postgresql" and not connection.in_atomic_block else 1
    if writers > 1 and (connection.vendor != "postgresql" or connection.in_atomic_block):
        raise ValueError("Parallel writers need PostgreSQL and no open transaction.")
    now = timezone.now()
    with transaction.atomic(using=using):
        newsroom = ensure_newsroom()
        taken = set(Article.objects.using(using).values_list("slug", flat=True))
        taken |= set(SlugRedirect.objects.using(using).values_list("old_slug", flat=True))
    planner = Planner(seed=seed, count=count, now=now, newsroom=newsroom, taken_slugs=taken)
    sizes = [min(batch_size, count - start) for start in range(0, count, batch_size)]
    if writers == 1:
        return _write_in_turn(planner, sizes, progress, using)
    return _write_side_by_side(planner, sizes, progress, using, writers)


def _plan_batch(planner, size, ids, using):
    batch_ids = allocate_ids(connections[using], Article, size)
    return [planner.plan(len(ids) + index, article_id) for index, article_id in enumerate(batch_ids)]


def _write_in_turn(planner, sizes, progress, using):
    writer = ArticleWriter(connections[using])
    ids = []
    for size in sizes:
        with transaction.atomic(using=using):
            _tune_transaction(using)
            plans = _plan_batch(planner, size, ids, using)
            writer.write(plans)
            _new_edition()
        ids += [plan.id for plan in plans]
        if progress is not None:
            progress(size)
    return ids


def _write_side_by_side(planner, sizes, progress, using, writers):
    batches = queue.Queue(maxsize=writers)
    commits = _CommitOrder()

    def write():
        try:
            writer = ArticleWriter(connections[using])
            while (item := batches.get()) is not None:
                number, plans = item
                with transaction.atomic(using=using):
                    _tune_transaction(using)
                    writer.write(plans)
                    # Links are checked when a transaction commits (deferred foreign
                    # keys), so every earlier batch must be committed by then.
                    commits.wait_for_turn(number)
                    _new_edition()
                commits.done(number)
                if progress is not None:
                    progress(len(plans))
        except Exception as error:  # noqa: BLE001 - handed to the planning thread, which raises it
            commits.fail(error)
        finally:
            connections[using].close()

    threads = [threading.Thread(target=write, name=f"seed-writer-{n}") for n in range(writers)]
    for thread in threads:
        thread.start()
    ids = []
    try:
        for number, size in enumerate(sizes):
            plans = _plan_batch(planner, size, ids, using)
            ids += [plan.id for plan in plans]
            while not commits.failed:
                try:
                    batches.put((number, plans), timeout=0.5)
                    break
                except queue.Full:
                    continue
            if commits.failed:
                break
    except BaseException as error:
        commits.fail(error)
        raise
    finally:
        for _ in threads:
            while True:
                try:
                    batches.put(None, timeout=0.5)
                    break
                except queue.Full:
                    if commits.failed:
                        _drain(batches)
        for thread in threads:
            thread.join()
    if commits.failed:
        raise commits.failed
    return ids


def _drain(batches):
    while True:
        try:
            batches.get_nowait()
        except queue.Empty:
            return


class _CommitOrder:
    """Lets batch n commit only after batches 0 to n-1 have; stops everyone on a failure."""

    def __init__(self):
        self.committed = -1
        self.failed = None
        self._condition = threading.Condition()

    def wait_for_turn(self, number):
        with self._condition:
            self._condition.wait_for(lambda: self.committed == number - 1 or self.failed)
            if self.failed:
                raise RuntimeError("Another batch failed.") from self.failed

    def done(self, number):
        with self._condition:
            self.committed = number
            self._condition.notify_all()

    def fail(self, error):
        with self._condition:
            self.failed = self.failed or error
            self._condition.notify_all()


def _tune_transaction(using):
    """PostgreSQL: this transaction's commit does not wait for the disk. A crash can lose
    the last batches of a seeding run (run it again), never corrupt anything."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _new_edition():
    """A new edition of the site for the page cache, in the batch's transaction: bulk
    writes send no signals, so they do what `articles.signals` does on a save."""
    pagecache.advance()
