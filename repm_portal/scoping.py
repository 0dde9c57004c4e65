"""Every choice the API offers is scoped by the same selectors as the lists.

A related field of a serializer, or a filter on a related model, would otherwise offer every
row of that model in the browsable API's forms and drop-downs (every tender, an unpublished
draft too, every letter number, every firm's plant). Apps register the selector that says
what a user may see of each model (`register(Award, awards_visible_to)`); related fields and
filters then offer only that. A model nobody registered is offered to staff who read
everything and to no one else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework import relations, serializers

from repm_portal.roles import READ_ALL_ROLES, AnyUser, has_role

Selector = Callable[[AnyUser], QuerySet[Any]]
_SELECTORS: dict[type[models.Model], Selector] = {}


def register(model: type[models.Model], selector: Selector) -> None:
    """Say what of `model` a user may see; related fields and filters offer only that."""
    _SELECTORS[model] = selector


def scope(queryset: QuerySet[Any], user: AnyUser | None) -> QuerySet[Any]:
    """`queryset` cut to what `user` may see of its model."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    selector = _SELECTORS.get(queryset.model)
    if selector is None:
        return queryset if has_role(user, *READ_ALL_ROLES) else queryset.none()
    return queryset.filter(pk__in=selector(user).values("pk"))


def _user(context: dict[str, Any]) -> AnyUser | None:
    request = context.get("request")
    return getattr(request, "user", None)


class ScopedPrimaryKeyRelatedField(relations.PrimaryKeyRelatedField):
    """A primary-key field whose choices (and accepted values) are what the caller may see."""

    def get_queryset(self) -> QuerySet[Any] | None:
        queryset = super().get_queryset()
        return scope(queryset, _user(self.context)) if queryset is not None else None


class ScopedModelSerializer(serializers.ModelSerializer):
    """ModelSerializer whose related fields are scoped (see the module's docstring)."""

    serializer_related_field = ScopedPrimaryKeyRelatedField


class ScopedFilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, with every model-choice filter's choices scoped to the caller."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for flt in filterset.filters.values():
            if isinstance(flt, filters.ModelChoiceFilter | filters.ModelMultipleChoiceFilter):
                # The filter keeps its queryset apart and copies it into the form field's.
                base = flt.queryset
                if isinstance(base, QuerySet):
                    flt.queryset = scope(base, request.user)
                    flt.extra["queryset"] = flt.queryset
        return filterset


__all__ = [
    "ScopedFilterBackend",
    "ScopedModelSerializer",
    "ScopedPrimaryKeyRelatedField",
    "register",
    "scope",
]
