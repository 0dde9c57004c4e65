"""Filters for the audit trail, shared by the page, the CSV export and the API."""

import django_filters

from repm_portal.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(lookup_expr="icontains")
    object_type = django_filters.CharFilter(lookup_expr="iexact")
    object_id = django_filters.CharFilter()
    actor = django_filters.CharFilter(
        field_name="actor_label", lookup_expr="icontains", label="Actor"
    )
    occurred_after = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte")
    occurred_before = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte")

    class Meta:
        model = AuditEvent
        fields = [
            "action",
            "object_type",
            "object_id",
            "actor",
            "occurred_after",
            "occurred_before",
        ]
