"""Small readers for the newsroom admin's pages, shared by the admin tests."""


def admin_url(article, suffix="change/"):
    """The admin URL of one article's page: its change form, or `suffix` ("history/", ...)."""
    return f"/admin/articles/article/{article.pk}/{suffix}"


def messages_of(response):
    """The messages the page shows (none when the response rendered no template)."""
    return [str(message) for message in response.context["messages"]] if response.context else []
