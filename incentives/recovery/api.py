"""API of recoveries: the caller's recoveries (a firm sees only its own) with their working; officials act.

Serializers only describe; reads go through the scoped selectors, writes through the services,
which check who may act (a refusal answers 403, a bad value 400, someone else's recovery 404).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from beneficiaries.models import User
from bidding.models import Award
from incentives.models import LedgerEntry, Pool
from incentives.recovery import selectors, services
from incentives.recovery.models import Grounds, Recovery, Repayment
from repm_portal.roles import has_role
from repm_portal.scoping import ScopedModelSerializer


class RepaymentSerializer(ScopedModelSerializer):
    entry = serializers.IntegerField(source="entry_id", read_only=True)

    class Meta:
        model = Repayment
        fields = ["id", "amount", "paid_on", "utr", "entry", "recorded_at"]


class EntrySerializer(ScopedModelSerializer):
    letter_number = serializers.CharField(
        source="letter.number", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "id", "kind", "account", "pool", "amount", "source_key", "document_ref",
            "letter_number", "narration", "posted_at",
        ]  # fmt: skip


class RecoverySerializer(ScopedModelSerializer):
    award = serializers.IntegerField(source="award_id", read_only=True)
    beneficiary = serializers.CharField(source="award.bid.bidder_name", read_only=True)
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)
    entry = serializers.IntegerField(source="entry_id", read_only=True, allow_null=True)
    guarantee = serializers.IntegerField(source="guarantee_id", read_only=True, allow_null=True)
    outstanding = serializers.SerializerMethodField()

    class Meta:
        model = Recovery
        fields = [
            "id", "award", "beneficiary", "grounds", "reason", "pools", "as_of", "status",
            "rule_set_version", "interest_pct", "principal", "interest", "total", "outstanding",
            "invoke_guarantee", "guarantee", "guarantee_invoked", "entry", "proposed_at",
            "confirmed_at", "withdrawn_at", "withdrawal_reason", "settled_at",
        ]  # fmt: skip

    def get_outstanding(self, recovery: Recovery) -> str:
        return str(selectors.outstanding(recovery))


class RecoveryDetailSerializer(RecoverySerializer):
    working = serializers.JSONField(read_only=True)
    repayments = serializers.SerializerMethodField()
    entries = serializers.SerializerMethodField()

    class Meta(RecoverySerializer.Meta):
        fields = [*RecoverySerializer.Meta.fields, "working", "repayments", "entries"]

    @extend_schema_field(RepaymentSerializer(many=True))
    def get_repayments(self, recovery: Recovery) -> Any:
        return RepaymentSerializer(selectors.repayments_of(recovery), many=True).data

    @extend_schema_field(EntrySerializer(many=True))
    def get_entries(self, recovery: Recovery) -> Any:
        return EntrySerializer(selectors.entries_of(recovery), many=True).data


class ProposeSerializer(serializers.Serializer):
    award = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    grounds = serializers.ChoiceField(choices=Grounds.choices)
    reason = serializers.CharField(max_length=4000, trim_whitespace=False)
    pools = serializers.ListField(child=serializers.ChoiceField(choices=Pool.choices))
    as_of = serializers.DateField()
    invoke_guarantee = serializers.BooleanField(default=False)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, trim_whitespace=False)


class RepaymentRequestSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    paid_on = serializers.DateField()
    utr = serializers.CharField(max_length=22)


class RecoveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Recoveries the caller may see: all for officials and auditors, a firm's own, none for others."""

    filterset_fields = ["status", "award", "grounds"]

    def get_queryset(self):
        return selectors.recoveries_visible_to(self.request.user).order_by("pk")

    def get_serializer_class(self):
        return {
            "retrieve": RecoveryDetailSerializer,
            "create": ProposeSerializer,
            "withdraw": WithdrawSerializer,
            "repayments": RepaymentRequestSerializer,
        }.get(self.action, RecoverySerializer)

    def _actor(self) -> User:
        user = self.request.user
        if not isinstance(user, User):  # IsAuthenticated answers 401 before this
            raise NotAuthenticated()
        return user

    def _officers_only(self, what: str) -> None:
        """Refuse others before reading the body, so a reader is told 403, not how to fill it in
        (the services check again)."""
        if not has_role(self.request.user, *selectors.OFFICERS):
            raise DjangoPermissionDenied(f"Only a ministry official may {what}.")

    def _detail(self, recovery: Recovery, code: int = status.HTTP_200_OK) -> Response:
        recovery = selectors.recoveries_visible_to(self.request.user).get(pk=recovery.pk)
        return Response(RecoveryDetailSerializer(recovery).data, status=code)

    @extend_schema(request=ProposeSerializer, responses={201: RecoveryDetailSerializer})
    def create(self, request: Request) -> Response:
        """Propose a recovery (an official): its working is computed from the award's payments."""
        self._officers_only("propose a recovery")
        data = ProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        award = Award.objects.filter(pk=data.validated_data["award"]).first()
        if award is None:
            raise serializers.ValidationError({"award": ["No such award."]})
        recovery = services.propose_recovery(
            actor=self._actor(),
            award=award,
            grounds=data.validated_data["grounds"],
            reason=data.validated_data["reason"],
            pools=data.validated_data["pools"],
            as_of=data.validated_data["as_of"],
            invoke_guarantee=data.validated_data["invoke_guarantee"],
        )
        return self._detail(recovery, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RecoveryDetailSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Confirm a proposed recovery (a second official, never the proposer): posts it to the ledger."""
        recovery = services.confirm_recovery(actor=self._actor(), recovery=self.get_object())
        return self._detail(recovery)

    @extend_schema(request=WithdrawSerializer, responses={200: RecoveryDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw a proposed recovery, with the reason."""
        recovery = self.get_object()
        self._officers_only("withdraw a recovery")
        data = WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery = services.withdraw_recovery(
            actor=self._actor(), recovery=recovery, reason=data.validated_data["reason"]
        )
        return self._detail(recovery)

    @extend_schema(request=RepaymentRequestSerializer, responses={201: RecoveryDetailSerializer})
    @action(detail=True, methods=["post"])
    def repayments(self, request: Request, pk: str | None = None) -> Response:
        """Record the firm's repayment (an official): netted in the ledger; settles when cleared."""
        recovery = self.get_object()
        self._officers_only("record a repayment")
        data = RepaymentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.record_repayment(
            actor=self._actor(),
            recovery=recovery,
            amount=data.validated_data["amount"],
            paid_on=data.validated_data["paid_on"],
            utr=data.validated_data["utr"],
        )
        return self._detail(recovery, status.HTTP_201_CREATED)


__all__ = ["RecoveryViewSet"]
