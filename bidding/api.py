"""API of the bidding phase: tenders, the caller's bids and receipts, awards, OCDS and commitments.

Serializers only describe; every read goes through the scoped selectors, every write through a
service. No serializer has a rate field before the financial opening: rates come only from
opened covers and awards.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from beneficiaries.selectors import consortia_visible_to
from bidding import ocds, selectors, services
from bidding.models import (
    Award,
    AwardLetter,
    Bid,
    BidParticipant,
    BidVersion,
    PbgClosure,
    PbgExtension,
    PerformanceBankGuarantee,
    Tender,
    TenderDocument,
    TenderVersion,
)
from repm_portal import public_cache
from repm_portal.money import crore
from repm_portal.scoping import ScopedModelSerializer


class TenderVersionSerializer(ScopedModelSerializer):
    class Meta:
        model = TenderVersion
        fields = [
            "number", "issued_at", "summary", "changes", "queries_due", "prebid_meeting_at",
            "replies_due", "bids_due", "technical_opening_at", "financial_opening_at",
        ]  # fmt: skip


class TenderDocumentSerializer(ScopedModelSerializer):
    class Meta:
        model = TenderDocument
        fields = [
            "id",
            "title",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "version",
            "supersedes",
        ]


class TenderSerializer(ScopedModelSerializer):
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)
    versions = TenderVersionSerializer(many=True, read_only=True)
    documents = TenderDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Tender
        fields = [
            "id", "reference", "title", "description", "kind", "parent", "status", "rule_set_version",
            "capacity_mtpa", "slots", "oxide_mtpa", "opening_quorum", "queries_due",
            "prebid_meeting_at", "prebid_meeting_place", "replies_due", "bids_due",
            "technical_opening_at", "financial_opening_at", "published_at", "technical_opened_at",
            "financial_opened_at", "awarded_at", "versions", "documents",
        ]  # fmt: skip


class CommitmentSerializer(serializers.Serializer):
    bid_id = serializers.IntegerField()
    version = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    commitment = serializers.CharField()
    state = serializers.CharField()
    bidder = serializers.CharField()
    technical_matches = serializers.BooleanField(allow_null=True)
    financial_matches = serializers.BooleanField(allow_null=True)


def _commitment_data(row: selectors.CommitmentRow) -> dict:
    return {
        "bid_id": row.bid_id,
        "version": row.version,
        "submitted_at": row.submitted_at,
        "commitment": row.commitment,
        "state": row.state,
        "bidder": row.bidder,
        "technical_matches": None if row.technical is None else row.technical.matches_commitment,
        "financial_matches": None if row.financial is None else row.financial.matches_commitment,
    }


class BidSubmissionSerializer(serializers.Serializer):
    """A bid's two covers, sent as multipart form data. Nothing here is ever echoed back."""

    consortium = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )
    capacity_mtpa = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    accepts_partial = serializers.BooleanField(default=False)
    # In rupees the column holds 16 digits before the paise: at most 9 before them in crore.
    net_worth_crore = serializers.DecimalField(max_digits=11, decimal_places=2, min_value=0)
    net_worth_as_of = serializers.DateField()
    quoted_rate = serializers.CharField(write_only=True)
    dpr = serializers.FileField(required=False)
    eligibility_documents = serializers.ListField(child=serializers.FileField(), required=False)


class ReceiptSerializer(serializers.Serializer):
    receipt_number = serializers.CharField()
    tender = serializers.DictField()
    bid = serializers.IntegerField()
    bidder = serializers.CharField()
    version = serializers.IntegerField()
    submitted_at = serializers.CharField()
    submitted_by = serializers.CharField()
    bid_capacity_mtpa = serializers.IntegerField()
    accepts_partial = serializers.BooleanField()
    documents = serializers.ListField(child=serializers.DictField())
    technical_digest = serializers.CharField()
    financial_digest = serializers.CharField()
    commitment = serializers.CharField()
    counts = serializers.BooleanField()
    scheme = serializers.CharField()
    verify_at = serializers.CharField()


class TenderViewSet(viewsets.ReadOnlyModelViewSet):
    """Tenders: staff see drafts too; everyone else the published ones."""

    serializer_class = TenderSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        return selectors.tenders_visible_to(self.request.user).prefetch_related(
            "versions", "documents"
        )

    def get_permissions(self):
        if self.action in ("ocds", "commitments"):
            return [AllowAny()]
        return super().get_permissions()

    def _public_tender(self, pk) -> Tender:
        return selectors.public_tender(int(pk))

    @extend_schema(
        responses=OpenApiResponse(
            description="OCDS 1.1 release package (bids, bidOpening, lots extensions)"
        ),
        description="The tender as an OCDS 1.1 release package; public, no login.",
    )
    @action(detail=True, methods=["get"])
    def ocds(self, request, pk=None):
        tender = self._public_tender(pk)
        base_url = request.build_absolute_uri("/")
        package = public_cache.cached_data(
            "tender-ocds",
            (tender.pk, base_url),
            lambda: (
                ocds.release_package(tender, base_url=base_url),
                public_cache.timeout_for([tender]),
            ),
        )
        return Response(package)

    @extend_schema(
        responses={
            200: CommitmentSerializer(many=True),
            409: OpenApiResponse(description="Before the due date: not published yet."),
        },
        description="Every bid commitment, from the due date; public.",
    )
    @action(detail=True, methods=["get"])
    def commitments(self, request, pk=None):
        tender = self._public_tender(pk)
        rows = selectors.commitments(tender)
        if rows is None:
            return Response(
                {
                    "detail": f"Commitments are published at the due date, {timezone.localtime(tender.bids_due):%d %b %Y %H:%M} IST."
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(CommitmentSerializer([_commitment_data(r) for r in rows], many=True).data)

    @extend_schema(request=BidSubmissionSerializer, responses={201: ReceiptSerializer})
    @action(
        detail=True, methods=["post"], url_path="bid", parser_classes=[MultiPartParser, FormParser]
    )
    @sensitive_variables()
    def bid(self, request, pk=None):
        """Submit or modify the caller's bid; answers with the receipt."""
        # Error reports must not print the rate; nor may the browsable API refill its form with it.
        request._request.sensitive_post_parameters = ["quoted_rate"]
        tender = selectors.tender_for(request.user, int(pk))
        payload = BidSubmissionSerializer(data=request.data)
        if not payload.is_valid():
            raise serializers.ValidationError(dict(payload.errors))
        data = payload.validated_data
        consortium = None
        if data.get("consortium"):
            consortium = (
                consortia_visible_to(request.user)
                .filter(pk=data["consortium"], lead_id=request.user.firm_id)
                .first()
            )
            if consortium is None:
                return Response(
                    {"consortium": ["Choose a consortium your firm leads."]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        version = services.submit_bid(
            actor=request.user,
            tender=tender,
            capacity_mtpa=data["capacity_mtpa"],
            accepts_partial=data["accepts_partial"],
            net_worth=crore(data["net_worth_crore"]),
            net_worth_as_of=data["net_worth_as_of"],
            quoted_rate=data["quoted_rate"],
            consortium=consortium,
            dpr=data.get("dpr"),
            eligibility_documents=data.get("eligibility_documents") or [],
        )
        version = selectors.version_for(request.user, version.pk)
        return Response(
            ReceiptSerializer(selectors.receipt(version)).data, status=status.HTTP_201_CREATED
        )


class BidParticipantSerializer(ScopedModelSerializer):
    firm = serializers.StringRelatedField()

    class Meta:
        model = BidParticipant
        fields = ["firm_id", "firm", "role", "equity_pct"]


class BidVersionSerializer(ScopedModelSerializer):
    receipt_number = serializers.CharField(read_only=True)

    class Meta:
        model = BidVersion
        fields = [
            "id", "number", "receipt_number", "submitted_at", "capacity_mtpa", "accepts_partial",
            "net_worth", "net_worth_as_of", "technical_digest", "financial_digest", "commitment",
        ]  # fmt: skip


class BidSerializer(ScopedModelSerializer):
    bidder = serializers.CharField(source="bidder_name", read_only=True)
    participants = BidParticipantSerializer(many=True, read_only=True)
    versions = BidVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Bid
        fields = [
            "id",
            "tender",
            "bidder",
            "status",
            "created_at",
            "withdrawn_at",
            "participants",
            "versions",
        ]


class BidViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's bids (a firm), or the bids of tenders whose technical covers are open (staff)."""

    serializer_class = BidSerializer
    filterset_fields = ["tender", "status"]

    def get_queryset(self):
        return selectors.bids_visible_to(self.request.user).order_by("pk")


class ReceiptViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A bid version's receipt: its commitment over both covers, never the rate."""

    serializer_class = ReceiptSerializer

    def get_queryset(self):
        return BidVersion.objects.filter(bid__in=selectors.bids_visible_to(self.request.user))

    def retrieve(self, request, pk=None):
        version = selectors.version_for(request.user, int(pk))
        return Response(ReceiptSerializer(selectors.receipt(version)).data)


class AwardLetterSerializer(ScopedModelSerializer):
    class Meta:
        model = AwardLetter
        fields = ["number", "status", "sha256", "size", "rendered_at"]


class PbgExtensionSerializer(ScopedModelSerializer):
    class Meta:
        model = PbgExtension
        fields = ["previous_valid_until", "valid_until", "amendment_reference", "extended_at"]


class PbgClosureSerializer(ScopedModelSerializer):
    """A proposal to invoke or release a guarantee, waiting for a second official."""

    proposed_by = serializers.StringRelatedField()

    class Meta:
        model = PbgClosure
        fields = ["id", "action", "status", "amount", "reason", "proposed_by", "proposed_at"]


class PbgDecisionSerializer(serializers.Serializer):
    proposal = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class GuaranteeSerializer(ScopedModelSerializer):
    extensions = PbgExtensionSerializer(many=True, read_only=True)
    pending_proposal = serializers.SerializerMethodField()

    class Meta:
        model = PerformanceBankGuarantee
        fields = [
            "id",
            "award",
            "status",
            "amount",
            "bank_name",
            "guarantee_number",
            "issued_on",
            "valid_until",
            "recorded_at",
            "extensions",
            "closed_at",
            "closing_reason",
            "invoked_amount",
            "pending_proposal",
        ]

    @extend_schema_field(PbgClosureSerializer(allow_null=True))
    def get_pending_proposal(self, guarantee):
        closure = next((c for c in guarantee.closures.all() if c.status == "proposed"), None)
        return PbgClosureSerializer(closure).data if closure else None


class PbgExtendSerializer(serializers.Serializer):
    valid_until = serializers.DateField()
    amendment_reference = serializers.CharField(max_length=100)


class PbgReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField()


class PbgInvokeSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    reason = serializers.CharField()


class GuaranteeViewSet(viewsets.ReadOnlyModelViewSet):
    """Performance bank guarantees of the awards the caller may see; extend, release, invoke."""

    serializer_class = GuaranteeSerializer
    filterset_fields = ["award", "status"]

    def get_queryset(self):
        awards = selectors.awards_visible_to(self.request.user).values("pk")
        return (
            PerformanceBankGuarantee.objects.filter(award__in=awards)
            .prefetch_related("extensions", "closures__proposed_by")
            .order_by("pk")
        )

    def _payload(self, request, payload_class):
        payload = payload_class(data=request.data)
        payload.is_valid(raise_exception=True)
        return payload.validated_data

    def _answer(self, guarantee):
        return Response(GuaranteeSerializer(self.get_queryset().get(pk=guarantee.pk)).data)

    @extend_schema(request=PbgExtendSerializer, responses=GuaranteeSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """Record the bank's extension: a later expiry date (the earlier one is kept)."""
        guarantee = self.get_object()
        data = self._payload(request, PbgExtendSerializer)
        services.extend_pbg(
            actor=request.user,
            guarantee=guarantee,
            valid_until=data["valid_until"],
            amendment_reference=data["amendment_reference"],
        )
        return self._answer(guarantee)

    @extend_schema(request=PbgReleaseSerializer, responses=GuaranteeSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Propose releasing the guarantee (officials); a second official confirms it."""
        guarantee = self.get_object()
        data = self._payload(request, PbgReleaseSerializer)
        services.propose_pbg_closure(
            actor=request.user, guarantee=guarantee, action="release", reason=data["reason"]
        )
        return self._answer(guarantee)

    @extend_schema(request=PbgInvokeSerializer, responses=GuaranteeSerializer)
    @action(detail=True, methods=["post"])
    def invoke(self, request, pk=None):
        """Propose invoking the guarantee (officials); a second official confirms it."""
        guarantee = self.get_object()
        data = self._payload(request, PbgInvokeSerializer)
        services.propose_pbg_closure(
            actor=request.user,
            guarantee=guarantee,
            action="invoke",
            amount=data["amount"],
            reason=data["reason"],
        )
        return self._answer(guarantee)

    def _proposal(self, guarantee, data):
        closure = guarantee.closures.filter(pk=data["proposal"]).first()
        if closure is None:
            raise NotFound("No such proposal for this guarantee.")
        return closure

    @extend_schema(request=PbgDecisionSerializer, responses=GuaranteeSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm another official's proposal: the guarantee is invoked or released now."""
        guarantee = self.get_object()
        data = self._payload(request, PbgDecisionSerializer)
        services.confirm_pbg_closure(actor=request.user, closure=self._proposal(guarantee, data))
        return self._answer(guarantee)

    @extend_schema(request=PbgDecisionSerializer, responses=GuaranteeSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a proposal, with the reason; the guarantee stays active."""
        guarantee = self.get_object()
        data = self._payload(request, PbgDecisionSerializer)
        services.cancel_pbg_closure(
            actor=request.user, closure=self._proposal(guarantee, data), note=data["note"]
        )
        return self._answer(guarantee)


class AwardSerializer(ScopedModelSerializer):
    bidder = serializers.CharField(source="bid.bidder_name", read_only=True)
    letter = AwardLetterSerializer(read_only=True, allow_null=True)  # none until issued
    guarantees = GuaranteeSerializer(many=True, read_only=True)
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)

    class Meta:
        model = Award
        fields = [
            "id", "tender", "bid", "bidder", "rank", "quoted_rate", "allocated_mtpa", "is_partial",
            "oxide_mtpa", "awarded_at", "pbg_amount_required", "pbg_valid_until_required",
            "rule_set_version", "letter", "guarantees",
        ]  # fmt: skip


class AwardViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AwardSerializer
    filterset_fields = ["tender"]

    def get_queryset(self):
        # Each guarantee's closures (for its pending proposal) and their proposers read with the
        # guarantees, not one query per guarantee; the letter's stored JSON is not shown.
        guarantees = PerformanceBankGuarantee.objects.order_by("-recorded_at").prefetch_related(
            "extensions", Prefetch("closures", PbgClosure.objects.select_related("proposed_by"))
        )
        awards = selectors.awards_visible_to(self.request.user).prefetch_related(None)
        awards = awards.prefetch_related(Prefetch("guarantees", guarantees))
        return awards.defer("letter__content").order_by("pk")
