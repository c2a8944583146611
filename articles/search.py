"""Searching published articles."""

from django.db.models import Q

from .models import Article

MAX_QUERY_LENGTH = 200


def normalise_query(raw):
    """The query as we will search it: trimmed, whitespace folded, capped in length."""
    # NUL as a separator: PostgreSQL refuses it in any text parameter (a 500 otherwise).
    return " ".join((raw or "").replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


def search_articles(query):
    """Published articles matching every word of `query`, newest first."""
    words = [word for word in query.split() if any(ch.isalnum() for ch in word)]
    if not words:
        return Article.objects.none()
    condition = Q()
    for word in words:
        word = word.strip("\"'")
        condition &= Q(title__icontains=word) | Q(standfirst__icontains=word) | Q(body__icontains=word) | Q(
            take__icontains=word
        )
    return Article.objects.published().filter(condition).with_byline()
