"""Template context every page needs: the role-aware navigation, and the demo clock if one is set."""

from django.conf import settings

from repm_portal.ui import nav_for


def navigation(request):
    return {
        "nav_items": nav_for(request.user) if request.user.is_authenticated else [],
        "clock_as_of": getattr(settings, "CLOCK_AS_OF", None),
    }
