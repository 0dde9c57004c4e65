"""API routers whose object URLs take only a number, so `/api/tenders/abc/` is a 404, not a 500.

Every viewset of the portal looks its object up by an integer (the primary key, or a rule
set's version). DRF's default lookup pattern takes any word and leaves `int("abc")` or the
database to fail; these routers match digits only unless a viewset names its own pattern.
"""

from __future__ import annotations

from rest_framework.routers import DefaultRouter, SimpleRouter

ID_PATTERN = r"[0-9]+"


class _NumericLookup:
    def get_lookup_regex(self, viewset, lookup_prefix=""):
        lookup_field = getattr(viewset, "lookup_field", "pk")
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        return r"(?P<{prefix}{kwarg}>{value})".format(
            prefix=lookup_prefix,
            kwarg=lookup_url_kwarg,
            value=getattr(viewset, "lookup_value_regex", ID_PATTERN),
        )


class Router(_NumericLookup, SimpleRouter):
    """The apps' router (the core router owns the API root)."""


class RootRouter(_NumericLookup, DefaultRouter):
    """The core router, with the API root."""
