from django.conf import settings

from .listings import browsable_topics


def site(request):
    """Site-wide template context: name, description, canonical URL and topic navigation."""
    return {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "canonical_url": settings.SITE_ORIGIN + request.path,
        # Called by the template that shows it, not here; remembered per edition of the site.
        "nav_topics": browsable_topics,
    }
