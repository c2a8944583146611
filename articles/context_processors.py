from django.conf import settings

from .models import Topic


def site(request):
    """Site-wide template context: name, description, canonical URL and topic navigation."""
    return {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "canonical_url": settings.SITE_ORIGIN + request.path,
        # Called by the template that shows it, not here: one query, which finds each topic's
        # first published article through an index, however many articles there are.
        "nav_topics": Topic.objects.with_published_articles,
    }
