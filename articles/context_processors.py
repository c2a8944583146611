from django.conf import settings

from .models import Topic


def site(request):
    """Site-wide template context: name, description, canonical URL and topic navigation."""
    return {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "canonical_url": settings.SITE_ORIGIN + request.path,
        "nav_topics": Topic.objects.with_published_articles,
    }
