"""API of sales claims: periods and windows, uploads (multipart, checked by a worker), claims and totals.

Reads go through the scoped selectors and writes through the services, as the pages do.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from incentives.claims import feedstock, selectors, services
from incentives.claims.models import (
    KG,
    MONEY,
    Claim,
    ClaimDocument,
    ClaimUpload,
    FeedstockConclusion,
    FeedstockDeclaration,
    LineAdjustment,
)
from incentives.ingest.columns import COLUMNS
from repm_portal.scoping import ScopedModelSerializer


class UploadSerializer(ScopedModelSerializer):
    award = serializers.IntegerField(source="award_id", read_only=True)
    claim = serializers.IntegerField(source="claim_id", read_only=True, allow_null=True)
    # The check's progress is its job's; the fields and values are the API's as documented
    # before the upload's lifecycle and its job were kept apart (a received file is "queued"
    # or "processing").
    status = serializers.ChoiceField(
        source="progress.status", choices=ClaimUpload.ReportedStatus.choices, read_only=True
    )
    phase = serializers.ChoiceField(
        source="progress.phase", choices=ClaimUpload.Phase.choices, read_only=True
    )
    percent = serializers.IntegerField(
        source="progress.percent", read_only=True, min_value=0, max_value=100
    )
    attempts = serializers.IntegerField(source="progress.attempts", read_only=True, min_value=0)
    started_at = serializers.DateTimeField(
        source="progress.started_at", read_only=True, allow_null=True
    )

    class Meta:
        model = ClaimUpload
        fields = [
            "id", "award", "period_start", "claim", "original_name", "size", "sha256",
            "uploaded_at", "status", "phase", "percent", "attempts", "started_at", "finished_at",
            "message", "line_count", "error_count", "summary_by_rule", "flag_summary",
            "eligible_kg", "net_sales_value",
        ]  # fmt: skip


class UploadDetailSerializer(UploadSerializer):
    class Meta(UploadSerializer.Meta):
        fields = [*UploadSerializer.Meta.fields, "errors", "totals"]


class UploadRequestSerializer(serializers.Serializer):
    award = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    period_start = serializers.DateField(help_text="The claim period's first eligible day")
    file = serializers.FileField(help_text=".csv (UTF-8, comma or semicolon) or .xlsx")


class SalesClaimSerializer(ScopedModelSerializer):
    award = serializers.IntegerField(source="award_id", read_only=True)
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)
    current_upload = serializers.IntegerField(source="current_upload_id", read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id", "award", "quarter_label", "period_start", "period_end", "is_early",
            "window_closes_on", "rule_set_version", "status", "current_upload", "line_count",
            "eligible_kg", "net_sales_value", "created_at", "updated_at",
        ]  # fmt: skip


_LISTED = (
    "id", "award_id", "quarter_label", "period_start", "period_end", "is_early",
    "window_closes_on", "rule_set__version", "status", "current_upload_id", "line_count",
    "eligible_kg", "net_sales_value", "created_at", "updated_at",
)  # fmt: skip


# The capital claims' documents are "ClaimDocument" in the schema.
@extend_schema_serializer(component_name="SalesClaimDocument")
class ClaimDocumentSerializer(ScopedModelSerializer):
    class Meta:
        model = ClaimDocument
        fields = ["id", "kind", "original_name", "content_type", "size", "sha256", "uploaded_at"]


class LineAdjustmentSerializer(ScopedModelSerializer):
    made_by = serializers.CharField(source="made_by.username", read_only=True)

    class Meta:
        model = LineAdjustment
        fields = [
            "id", "upload", "row", "kind", "quantity_kg", "net_sales_value", "reason",
            "made_by", "made_at",
        ]  # fmt: skip


class FeedstockRequestSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.DictField(), allow_empty=True,
        help_text=(
            "The whole declaration, one row per source (per country for imports): "
            '{"source": "irel|domestic|imported|recycled", "country": "CN", "tonnes": "12.500"}. '
            "Checked whole: one bad row refuses all and changes nothing."
        ),
    )  # fmt: skip


class FeedstockRowSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=FeedstockDeclaration.Source.choices)
    country = serializers.CharField(help_text="ISO 3166 alpha-2, for an import; else blank")
    tonnes = serializers.CharField(help_text="NdPr oxide, t, 3 decimals")


class FeedstockCheckSerializer(serializers.Serializer):
    rows = FeedstockRowSerializer(many=True)
    oxide_tonnes = serializers.CharField()
    magnet_per_tonne_oxide = serializers.CharField(help_text="The claim's rule set's ratio")
    rule_set_version = serializers.IntegerField()
    magnet_equivalent_tonnes = serializers.CharField(help_text="oxide x ratio")
    sold_tonnes = serializers.CharField(help_text="Verified eligible net kg / 1000")
    deviation_pct = serializers.CharField(
        allow_null=True, help_text="(equivalent - sold) / sold x 100; null when nothing sold"
    )
    tolerance_pct = serializers.CharField()
    within = serializers.BooleanField()


class FeedstockSerializer(serializers.Serializer):
    rows = FeedstockRowSerializer(many=True)
    check = FeedstockCheckSerializer(help_text="Against the verified totals as they stand now")
    conclusion = serializers.ChoiceField(
        choices=FeedstockConclusion.choices, allow_blank=True,
        help_text="The verifier's, given with the verification; blank before",
    )  # fmt: skip
    note = serializers.CharField(allow_blank=True, help_text="Why a mismatch was accepted")


def feedstock_data(claim: Claim) -> dict:
    """The claim's declaration and its check against the verified sales, as the API shows them."""
    kg, _ = selectors.verified_totals(claim)
    check = feedstock.check_of(claim, verified_kg=kg)
    return {
        "rows": [{"source": r.source, "country": r.country, "tonnes": str(r.tonnes)} for r in check.rows],
        "check": check.as_record(),
        "conclusion": claim.feedstock_conclusion,
        "note": claim.feedstock_note,
    }  # fmt: skip


class VerificationSlaSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="The verification service level, in days")
    submitted_on = serializers.DateField()
    due_on = serializers.DateField()
    elapsed = serializers.IntegerField()
    days_left = serializers.IntegerField()
    overdue = serializers.BooleanField()
    pending = serializers.BooleanField()


class SalesClaimDetailSerializer(SalesClaimSerializer):
    totals = serializers.JSONField(source="current_upload.totals", read_only=True)
    feedstock = serializers.SerializerMethodField()
    verified_totals = serializers.SerializerMethodField()
    verification_sla = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    adjustments = serializers.SerializerMethodField()

    class Meta(SalesClaimSerializer.Meta):
        fields = [
            *SalesClaimSerializer.Meta.fields, "totals", "submitted_at", "declared_at",
            "certificate", "verification_started_at", "verified_at", "verification_remarks",
            "approved_at", "decision_reason", "lapsed_at", "reopened_at", "reopen_reason",
            "verified_totals", "verification_sla", "documents", "adjustments", "feedstock",
        ]  # fmt: skip

    @extend_schema_field(FeedstockSerializer)
    def get_feedstock(self, claim) -> dict:
        return feedstock_data(claim)

    def get_verified_totals(self, claim) -> dict[str, str]:
        kg, value = selectors.verified_totals(claim)
        return {"eligible_kg": str(kg), "net_sales_value": str(value)}

    @extend_schema_field(VerificationSlaSerializer(allow_null=True))
    def get_verification_sla(self, claim) -> dict | None:
        sla = selectors.verification_sla(claim)
        if sla is None:
            return None
        return {
            "days": sla.days, "submitted_on": sla.submitted_on, "due_on": sla.due_on,
            "elapsed": sla.elapsed, "days_left": sla.days_left, "overdue": sla.overdue,
            "pending": sla.pending,
        }  # fmt: skip

    @extend_schema_field(ClaimDocumentSerializer(many=True))
    def get_documents(self, claim) -> list[dict]:
        return ClaimDocumentSerializer(selectors.documents_of(claim), many=True).data

    @extend_schema_field(LineAdjustmentSerializer(many=True))
    def get_adjustments(self, claim) -> list[dict]:
        return LineAdjustmentSerializer(selectors.adjustments_of(claim), many=True).data


class SubmitRequestSerializer(serializers.Serializer):
    certificate = serializers.FileField(help_text="The chartered accountant's certificate (PDF)")
    declaration = serializers.BooleanField(
        help_text="true: the lines are true and complete (required)"
    )


class ReasonRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, allow_blank=True)


class VerifyRequestSerializer(serializers.Serializer):
    remarks = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    feedstock_note = serializers.CharField(
        max_length=4000, required=False, allow_blank=True,
        help_text="Required when the feedstock check is outside the tolerance: why it is accepted",
    )  # fmt: skip


class AdjustRequestSerializer(serializers.Serializer):
    row = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    kind = serializers.ChoiceField(choices=LineAdjustment.Kind.choices)
    quantity_kg = serializers.DecimalField(
        required=False, allow_null=True, max_digits=KG["max_digits"],
        decimal_places=KG["decimal_places"],
    )  # fmt: skip
    net_sales_value = serializers.DecimalField(
        required=False, allow_null=True, max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
    )  # fmt: skip
    reason = serializers.CharField(max_length=4000, allow_blank=True)


class PeriodSerializer(serializers.Serializer):
    award = serializers.IntegerField()
    label = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    days = serializers.IntegerField()
    is_early = serializers.BooleanField()
    window_closes_on = serializers.DateField()
    state = serializers.CharField(help_text="running, open or closed")
    claim = serializers.IntegerField(allow_null=True)
    latest_upload = serializers.IntegerField(allow_null=True)


class ClaimUploadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sales files of the caller's awards (all, for staff); POST a file to have it checked and stored."""

    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.uploads_visible_to(self.request.user).order_by("-uploaded_at", "-id")

    def get_serializer_class(self):
        return UploadDetailSerializer if self.action == "retrieve" else UploadSerializer

    def get_object(self):
        return selectors.upload_for(self.request.user, int(self.kwargs["pk"]))

    def paginate_queryset(self, queryset):
        """One page of uploads, with their jobs fetched in one query."""
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.with_jobs(page)

    @extend_schema(
        request={"multipart/form-data": UploadRequestSerializer},
        responses={202: UploadSerializer, 200: UploadSerializer},
        description=(
            "Queue a sales file for a claim period. 202: received, being checked (poll the "
            "upload until its status is accepted, rejected or failed). 200: the same bytes "
            "were uploaded before; that upload is returned and nothing new is stored."
        ),
    )
    def create(self, request):
        given = UploadRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        award = selectors.award_for(request.user, given.validated_data["award"])
        received = services.receive_upload(
            actor=request.user,
            award=award,
            period_start=given.validated_data["period_start"],
            upload=given.validated_data["file"],
        )
        data = UploadSerializer(received.upload).data | {"recognised": received.recognised}
        return Response(
            data, status=status.HTTP_200_OK if received.recognised else status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=None, responses={202: UploadSerializer})
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        """Check again an upload whose check failed or whose worker died."""
        upload = services.rerun_upload(actor=request.user, upload=self.get_object())
        return Response(UploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: serializers.ListSerializer(child=serializers.DictField())})
    @action(detail=False, methods=["get"], parser_classes=[])
    def columns(self, request):
        """The column dictionary of the upload file."""
        return Response(
            [
                {
                    "name": c.name, "required": c.requirement, "type": c.type,
                    "format": c.format, "description": c.description, "example": c.example,
                }
                for c in COLUMNS
            ]
        )  # fmt: skip


class ClaimViewSet(viewsets.ReadOnlyModelViewSet):
    """Sales claims of the caller's awards (all, for staff), with the figures the incentive needs."""

    def get_queryset(self):
        claims = selectors.claims_visible_to(self.request.user).order_by("award", "period_start")
        if self.action == "list":
            # The list shows the claim's own columns and its rule set's version: not the award's
            # chain, nor the current upload with its stored JSON (the detail shows those).
            claims = claims.select_related(None).select_related("rule_set").only(*_LISTED)
        return claims

    def get_serializer_class(self):
        return SalesClaimDetailSerializer if self.action == "retrieve" else SalesClaimSerializer

    def get_object(self):
        return selectors.claim_for(self.request.user, int(self.kwargs["pk"]))

    def _answer(self, claim: Claim) -> Response:
        claim = selectors.claim_for(self.request.user, claim.pk)  # read again, as now stored
        return Response(SalesClaimDetailSerializer(claim).data)

    @extend_schema(
        request={"multipart/form-data": SubmitRequestSerializer},
        responses={200: SalesClaimDetailSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def submit(self, request, pk=None):
        """The firm submits its claim with its CA certificate (PDF) and declaration: the lines freeze."""
        claim = self.get_object()
        given = SubmitRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._answer(
            services.submit_claim(
                actor=request.user, claim=claim, certificate=given.validated_data["certificate"],
                declaration=given.validated_data["declaration"],
            )
        )  # fmt: skip

    @extend_schema(request=None, responses={200: SalesClaimDetailSerializer})
    @action(detail=True, methods=["post"], url_path="start-verification")
    def start_verification(self, request, pk=None):
        """The verifier takes up a submitted claim."""
        return self._answer(
            services.start_verification(actor=request.user, claim=self.get_object())
        )

    @extend_schema(request=AdjustRequestSerializer, responses={201: LineAdjustmentSerializer})
    @action(detail=True, methods=["post"], url_path="adjust-line")
    def adjust_line(self, request, pk=None):
        """The verifier excludes, corrects or restores one line, with the reason (kept as history)."""
        claim = self.get_object()
        given = AdjustRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        adjustment = services.adjust_line(actor=request.user, claim=claim, **given.validated_data)
        data = LineAdjustmentSerializer(adjustment).data
        kg, value = selectors.verified_totals(Claim.objects.get(pk=claim.pk))
        data["verified_totals"] = {"eligible_kg": str(kg), "net_sales_value": str(value)}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonRequestSerializer, responses={200: SalesClaimDetailSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_claim(self, request, pk=None):
        """The verifier returns the claim to the firm for correction, with the reasons."""
        return self._reasoned(request, services.return_claim)

    @extend_schema(request=ReasonRequestSerializer, responses={200: SalesClaimDetailSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """The verifier rejects the claim, with the reasons."""
        return self._reasoned(request, services.reject_claim)

    @extend_schema(request=ReasonRequestSerializer, responses={200: SalesClaimDetailSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """An official reopens a lapsed claim once, with a reason: a new window from today."""
        return self._reasoned(request, services.reopen_claim)

    @extend_schema(request=VerifyRequestSerializer, responses={200: SalesClaimDetailSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """The verifier verifies the claim at its verified totals (adjustments applied)."""
        claim = self.get_object()
        given = VerifyRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._answer(
            services.verify_claim(
                actor=request.user, claim=claim, remarks=given.validated_data.get("remarks", ""),
                feedstock_note=given.validated_data.get("feedstock_note", ""),
            )
        )  # fmt: skip

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: FeedstockSerializer},
        description="The claim's feedstock declaration and its check against the verified sales.",
    )
    @extend_schema(
        methods=["POST"], request=FeedstockRequestSerializer,
        responses={200: FeedstockSerializer},
        description=(
            "The firm declares (replaces) the NdPr oxide its claim period used, by source, while "
            "the claim is a draft or returned. 400 names every bad row; nothing is changed."
        ),
    )  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def feedstock(self, request, pk=None):
        claim = self.get_object()
        if request.method == "POST":
            given = FeedstockRequestSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            services.declare_feedstock(
                actor=request.user, claim=claim, rows=given.validated_data["rows"]
            )
            claim = selectors.claim_for(request.user, claim.pk)
        return Response(feedstock_data(claim))

    @extend_schema(request=None, responses={200: SalesClaimDetailSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """An approver who is not its verifier approves the claim; its sanction is requested."""
        return self._answer(services.approve_claim(actor=request.user, claim=self.get_object()))

    def _reasoned(self, request, service) -> Response:
        claim = self.get_object()
        given = ReasonRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return self._answer(
            service(actor=request.user, claim=claim, reason=given.validated_data["reason"])
        )


class ClaimPeriodViewSet(viewsets.ViewSet):
    """Claim periods of an award, each with its window and claim."""

    serializer_class = PeriodSerializer

    @extend_schema(
        parameters=[OpenApiParameter("award", int, required=True)],
        responses=PeriodSerializer(many=True),
    )
    def list(self, request):
        try:
            award_id = int(request.query_params.get("award", ""))
        except ValueError:
            raise serializers.ValidationError({"award": ["Give the award's id."]}) from None
        award = selectors.award_for(request.user, award_id)
        rows = selectors.period_rows(award)
        return Response(
            PeriodSerializer(
                [
                    {
                        "award": award.pk,
                        "label": r.period.label,
                        "starts_on": r.period.starts_on,
                        "ends_on": r.period.ends_on,
                        "days": r.period.days,
                        "is_early": r.period.is_early,
                        "window_closes_on": r.window_closes_on,
                        "state": r.state,
                        "claim": r.claim.pk if r.claim else None,
                        "latest_upload": r.latest_upload.pk if r.latest_upload else None,
                    }
                    for r in rows
                ],
                many=True,
            ).data
        )
