"""API of the scheme core: rule-set versions and their differences, the audit trail, who am I."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from repm_portal import selectors
from repm_portal.filters import AuditEventFilter
from repm_portal.models import AuditEvent, CapacitySlab, RuleSet, Scheme
from repm_portal.schema import never_answers
from repm_portal.scoping import ScopedModelSerializer


def exception_handler(exc, context):
    """Services raise Django's ValidationError; the API answers it as a 400 with the same messages."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = ValidationError(detail)
    return drf_exception_handler(exc, context)


class CapacitySlabSerializer(ScopedModelSerializer):
    class Meta:
        model = CapacitySlab
        fields = [
            "min_capacity_mtpa",
            "max_capacity_mtpa",
            "min_net_worth",
            "capital_subsidy_cap",
            "min_investment",
        ]


class RuleSetSerializer(ScopedModelSerializer):
    scheme: serializers.SlugRelatedField[Scheme] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    slabs = CapacitySlabSerializer(many=True, read_only=True)

    class Meta:
        model = RuleSet
        exclude = ["id", "created_by"]


class ParameterChangeSerializer(serializers.Serializer):
    name = serializers.CharField()
    # The serializer metaclass pops declared fields, so this does not shadow Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    old = serializers.JSONField()
    new = serializers.JSONField()
    kind = serializers.CharField()


class RuleSetViewSet(viewsets.ReadOnlyModelViewSet):
    """Every version of the scheme's rules; an amendment is a new version, never an edit."""

    serializer_class = RuleSetSerializer
    lookup_field = "version"
    filter_backends: list = []

    def get_queryset(self):
        return selectors.rule_sets()

    @extend_schema(
        responses=ParameterChangeSerializer(many=True),
        description="What changed from this version to version `other`.",
    )
    @action(detail=True, methods=["get"], url_path=r"diff/(?P<other>\d+)")
    def diff(self, request, version=None, other=None, format=None):
        old = self.get_object()
        new = selectors.rule_sets().filter(version=other).first()
        if new is None:
            raise Http404("No such version")
        changes = selectors.rule_set_diff(old, new)
        data = [
            {
                "name": c.name,
                "label": c.label,
                "old": _plain(c.old),
                "new": _plain(c.new),
                "kind": c.kind,
            }
            for c in changes
        ]
        return Response(ParameterChangeSerializer(data, many=True).data)


def _plain(value):
    from repm_portal.audit import to_json

    return to_json(value)


class AuditEventSerializer(ScopedModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id", "occurred_at", "actor", "actor_label", "action", "object_type", "object_id",
            "object_repr", "old_values", "new_values", "prev_hash", "row_hash",
        ]  # fmt: skip


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail (auditors, administrators, ministry officials), newest first."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return AuditEvent.objects.none()
        return selectors.audit_events_visible_to(self.request.user)


@never_answers(403)  # any signed-in user may ask who they are
@extend_schema(
    responses=OpenApiResponse(
        inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "full_name": serializers.CharField(),
                "role": serializers.CharField(),
                "firm_id": serializers.IntegerField(allow_null=True),
            },
        )
    )
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request):
    user = request.user
    return Response(
        {
            "username": user.get_username(),
            "full_name": user.get_full_name(),
            "role": user.role,
            "firm_id": user.firm_id,
        }
    )
