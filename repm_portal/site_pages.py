"""Public pages every government site carries (accessibility statement, help, contact, terms,
privacy), each with the date it was last reviewed, and the API's operations as a plain page."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

# When each page's text was last reviewed; change the date with the text.
LAST_UPDATED = {
    "accessibility": dt.date(2026, 12, 1),
    "help": dt.date(2026, 12, 1),
    "contact": dt.date(2026, 12, 1),
    "terms": dt.date(2026, 12, 1),
    "privacy": dt.date(2026, 12, 1),
}
METHODS = ("get", "post", "put", "patch", "delete")


def _page(name: str):
    @require_GET
    def view(request):
        return render(
            request, f"site/{name}.html", {"last_updated": LAST_UPDATED[name], "page": name}
        )

    view.__name__ = f"{name}_page"
    return view


accessibility = _page("accessibility")
help_page = _page("help")
contact = _page("contact")
terms = _page("terms")
privacy = _page("privacy")


@lru_cache(maxsize=1)
def _operations() -> tuple[tuple[str, tuple[dict, ...]], ...]:
    """The schema's operations grouped by tag: (tag, ({method, path, summary, id}, ...))."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    groups: dict[str, list[dict]] = {}
    for path, item in schema["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["api"])[0]
            groups.setdefault(tag, []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary") or operation.get("description", ""),
                    "id": operation.get("operationId", ""),
                }
            )
    return tuple((tag, tuple(ops)) for tag, ops in sorted(groups.items()))


@require_GET
def api_docs(request):
    """The API's operations, readable by anyone (the schema itself is the contract)."""
    return render(
        request,
        "site/api_docs.html",
        {
            "groups": _operations(),
            "schema_url": reverse("api-schema"),
            "swagger_url": reverse("api-docs-swagger"),
        },
    )
