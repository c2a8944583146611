"""Reading what a reader typed: normalising it, then parsing it as web-search syntax."""

import re
from dataclasses import dataclass, field
from typing import NamedTuple

MAX_QUERY_LENGTH = 200


class NormalisedQuery(NamedTuple):
    text: str
    truncated: bool  # whether the typed query was longer than MAX_QUERY_LENGTH


def normalise_query(raw):
    """The query as we will search it (trimmed, whitespace folded, capped in length), and
    whether the cap cut it short."""
    # NUL as a separator: PostgreSQL refuses it in any text parameter (a 500 otherwise).
    folded = " ".join((raw or "").replace("\x00", " ").split())
    return NormalisedQuery(folded[:MAX_QUERY_LENGTH], len(folded) > MAX_QUERY_LENGTH)


@dataclass(frozen=True)
class ParsedQuery:
    """A query in the shape of PostgreSQL's websearch syntax.

    `clauses` must all match; each clause is a tuple of alternatives (words joined by
    "or"); each alternative is a phrase, a tuple of words that must follow each other.
    `excluded` holds the phrases written with a leading "-". Words are letters and digits
    only, so nothing in here can be an operator of any search engine. `text` is the query
    as given, for an engine that reads the syntax itself.
    """

    clauses: tuple = ()
    excluded: tuple = ()
    text: str = field(default="", compare=False)


# A quoted phrase (the closing quote may be missing), or any other run of non-spaces.
_TERM_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD_RE = re.compile(r"[^\W_]+")


def parse_query(query):
    clauses, excluded = [], []
    join_with_previous = False
    for match in _TERM_RE.finditer(query):
        negated, quoted, bare = match.groups()
        if bare is not None and bare.lower() == "or":
            join_with_previous = bool(clauses)
            continue
        text = quoted if bare is None else bare
        if bare is not None and bare.startswith("-"):
            negated, text = "-", bare[1:]
        phrase = tuple(_WORD_RE.findall(text))
        if not phrase:
            continue
        if negated:
            excluded.append(phrase)
        elif join_with_previous:
            clauses[-1].append(phrase)
        else:
            clauses.append([phrase])
        join_with_previous = False
    return ParsedQuery(tuple(tuple(clause) for clause in clauses), tuple(excluded), query)


def has_words(query):
    """Whether `query` names anything to look for (excluded words alone do not)."""
    return bool(parse_query(query).clauses)
