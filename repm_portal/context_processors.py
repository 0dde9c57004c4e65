"""Template context every page needs: the role-aware navigation."""

from repm_portal.ui import nav_for


def navigation(request):
    return {"nav_items": nav_for(request.user) if request.user.is_authenticated else []}
