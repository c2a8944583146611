from django.conf import settings


def site(request):
    """Site-wide template context: name, description, canonical URL. (The topic navigation
    is `{% topic_links %}`: articles.templatetags.navigation.)"""
    return {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "canonical_url": settings.SITE_ORIGIN + request.path,
    }
