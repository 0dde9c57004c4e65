"""API of the sales-linked incentive: stored figures with their input and working, true-ups, and
what a claim would receive now. A firm reads only its own awards'; the read-all roles read all.

Serializers only describe; reads go through the scoped selectors, the approval through the
service (which checks who approves).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from beneficiaries.models import User
from incentives.claims.models import Claim
from incentives.sli import preview, selectors, services
from incentives.sli.models import SliComputation, TrueUp
from repm_portal.scoping import ScopedModelSerializer


class SliComputationSerializer(ScopedModelSerializer):
    beneficiary = serializers.CharField(source="award.bid.bidder_name", read_only=True)
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)
    letter_number = serializers.CharField(
        source="letter.number", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = SliComputation
        fields = [
            "id", "kind", "purpose", "claim", "true_up", "award", "beneficiary",
            "rule_set_version", "release", "payable", "recovery", "ledger_mark", "letter",
            "letter_number", "preview_run", "computed_at",
        ]  # fmt: skip


class SliComputationDetailSerializer(SliComputationSerializer):
    inputs = serializers.JSONField(
        read_only=True, help_text="The input exactly as sli_compute reads it"
    )
    working = serializers.JSONField(
        read_only=True, help_text="The engine's output as sli_compute prints it, step by step"
    )

    class Meta(SliComputationSerializer.Meta):
        fields = [*SliComputationSerializer.Meta.fields, "inputs", "working"]


class SliTrueUpSerializer(ScopedModelSerializer):
    beneficiary = serializers.CharField(source="award.bid.bidder_name", read_only=True)
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)
    letter_number = serializers.CharField(
        source="letter.number", default=None, read_only=True, allow_null=True
    )
    computed_by = serializers.CharField(
        source="computed_by.username", default=None, read_only=True, allow_null=True
    )
    approved_by = serializers.CharField(
        source="approved_by.username", default=None, read_only=True, allow_null=True
    )
    computation = serializers.SerializerMethodField()

    class Meta:
        model = TrueUp
        fields = [
            "id", "award", "beneficiary", "financial_year", "period_start", "period_end",
            "rule_set_version", "status", "balance", "recovery", "computed_by", "computed_at",
            "approved_by", "approved_at", "letter", "letter_number", "recovery_entry",
            "settled_at", "computation",
        ]  # fmt: skip

    def get_computation(self, true_up: TrueUp) -> int | None:
        """The figure of record once settled, else the figure computed for approval."""
        computation = true_up.computation
        return None if computation is None else computation.pk


class SliStepSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    name = serializers.CharField()
    value = serializers.CharField(help_text="kg to 3 places, money to 2, half up")
    binding = serializers.BooleanField(help_text="Whether the step made the figure smaller")
    note = serializers.CharField()
    rule = serializers.CharField(help_text='The rule-set field the step read, "" if none')


class SliPreviewSerializer(serializers.Serializer):
    """What `sli_compute` prints for the claim's input as the database stands now."""

    capped_kg = serializers.CharField()
    gross = serializers.CharField()
    after_turnover_cap = serializers.CharField()
    after_award_cap = serializers.CharField()
    after_pool = serializers.CharField()
    release = serializers.CharField()
    deduction_applied = serializers.CharField()
    deduction_carried = serializers.CharField()
    payable = serializers.CharField()
    recovery = serializers.CharField()
    steps = SliStepSerializer(many=True)
    kind = serializers.CharField()
    input = serializers.JSONField(help_text="The input exactly as sli_compute reads it")


class SliComputationViewSet(viewsets.ReadOnlyModelViewSet):
    filterset_fields = ["kind", "purpose", "claim", "true_up", "award"]

    def get_queryset(self) -> Any:
        return selectors.computations_visible_to(self.request.user).order_by("pk")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "retrieve":
            return SliComputationDetailSerializer
        return SliComputationSerializer


class SliTrueUpViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SliTrueUpSerializer
    filterset_fields = ["status", "award", "financial_year"]

    def get_queryset(self) -> Any:
        return selectors.true_ups_visible_to(self.request.user).order_by("pk")

    @extend_schema(request=None, responses={200: SliTrueUpSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a computed true-up (an approver who did not compute it)."""
        actor = request.user
        if not isinstance(actor, User):  # IsAuthenticated lets only a signed-in person here
            raise NotAuthenticated()
        true_up = services.approve_true_up(true_up=self.get_object(), actor=actor)
        true_up.refresh_from_db()
        return Response(SliTrueUpSerializer(true_up).data)


class SliClaimPreviewViewSet(viewsets.GenericViewSet):
    """Only the `preview` action is routed: a sales claim's own record is the claims API's."""

    serializer_class = SliPreviewSerializer

    def get_queryset(self) -> Any:
        return selectors.claims_visible_to(self.request.user).order_by("pk")

    @extend_schema(
        responses={
            200: SliPreviewSerializer,
            409: OpenApiResponse(description="The claim's figure cannot be computed"),
        }
    )
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        """What the claim would receive if it were sanctioned now; nothing is posted."""
        claim: Claim = self.get_object()
        try:
            shown = preview.preview(claim)
        except (LookupError, ValueError) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(shown)


__all__ = ["SliClaimPreviewViewSet", "SliComputationViewSet", "SliTrueUpViewSet"]
