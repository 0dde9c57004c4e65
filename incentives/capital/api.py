"""API of the capital subsidy: the caller's claims (a firm sees only its own), the ledger upload, submission.

Serializers only describe; reads go through the scoped selectors, writes through the services.
A refused ledger answers 400 with every error by row, column, value and rule, and stores nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from incentives.capital import selectors, services
from incentives.capital.models import CapitalSubsidyClaim, ClaimDocument, InvestmentLine
from incentives.capital.reading import LedgerRejected
from repm_portal.scoping import ScopedModelSerializer


class InvestmentLineSerializer(ScopedModelSerializer):
    class Meta:
        model = InvestmentLine
        fields = [
            "id", "row_number", "item", "head", "vendor", "invoice_number", "invoice_date",
            "amount", "eligible", "reason", "excluded", "exclusion_reason",
        ]  # fmt: skip


class ClaimDocumentSerializer(ScopedModelSerializer):
    class Meta:
        model = ClaimDocument
        fields = ["id", "kind", "original_name", "content_type", "size", "sha256", "uploaded_at"]


class CapitalClaimSerializer(ScopedModelSerializer):
    award = serializers.IntegerField(source="award_id", read_only=True)
    beneficiary = serializers.CharField(source="award.bid.bidder_name", read_only=True)
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)
    letter_number = serializers.CharField(
        source="letter.number", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = CapitalSubsidyClaim
        fields = [
            "id", "reference", "award", "beneficiary", "status", "rule_set_version",
            "allocated_mtpa", "line_count", "claimed_total", "eligible_total", "verified_eligible",
            "submitted_at", "verified_at", "approved_at", "decision_reason", "sanctioned_amount",
            "letter_number", "created_at",
        ]  # fmt: skip


class CapitalClaimDetailSerializer(CapitalClaimSerializer):
    lines = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta(CapitalClaimSerializer.Meta):
        fields = [*CapitalClaimSerializer.Meta.fields, "lines", "documents"]

    @extend_schema_field(InvestmentLineSerializer(many=True))
    def get_lines(self, claim) -> list[dict]:
        return InvestmentLineSerializer(selectors.lines_of(claim), many=True).data

    @extend_schema_field(ClaimDocumentSerializer(many=True))
    def get_documents(self, claim) -> list[dict]:
        return ClaimDocumentSerializer(selectors.documents_of(claim), many=True).data


class CapitalUploadSerializer(serializers.Serializer):
    award = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    ledger = serializers.FileField()
    certificate = serializers.FileField(required=False)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField()
    value = serializers.CharField()
    rule = serializers.CharField()
    message = serializers.CharField()


class CapitalClaimViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    filterset_fields = ["status", "award"]

    def get_queryset(self):
        return selectors.claims_visible_to(self.request.user).order_by("pk")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CapitalClaimDetailSerializer
        if self.action == "upload":
            return CapitalUploadSerializer
        return CapitalClaimSerializer

    @extend_schema(
        request={"multipart/form-data": CapitalUploadSerializer},
        responses={
            201: CapitalClaimDetailSerializer,
            400: OpenApiResponse(
                inline_serializer(
                    "LedgerRefused", {"errors": RowErrorSerializer(many=True, required=False)}
                ),
                description=(
                    "Refused; nothing stored: the ledger's errors by row (`errors`), or the "
                    "fields at fault as in every other refusal."
                ),
            ),
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request):
        """Upload the investment ledger (and the CA certificate) of a commissioned award."""
        data = CapitalUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            award = selectors.award_for_claim(request.user, data.validated_data["award"])
        except DjangoPermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from None
        try:
            claim = services.upload_ledger(
                actor=request.user,
                award=award,
                ledger_file=data.validated_data["ledger"],
                certificate_file=data.validated_data.get("certificate"),
            )
        except LedgerRejected as rejected:
            return Response(
                {"errors": [error.as_dict() for error in rejected.errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(CapitalClaimDetailSerializer(claim).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CapitalClaimSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a draft claim for verification (the firm)."""
        claim = self.get_object()
        claim = services.submit_claim(actor=request.user, claim=claim)
        return Response(CapitalClaimSerializer(claim).data)
