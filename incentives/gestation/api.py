"""API of gestation: plants and milestones read through the scoped selectors, written through the services."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from bidding.models import Award
from incentives.gestation import selectors, services
from incentives.gestation.models import Milestone, MilestoneEvidence, Plant
from repm_portal.scoping import ScopedModelSerializer, ScopedPrimaryKeyRelatedField


class EvidenceSerializer(ScopedModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = MilestoneEvidence
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at", "url"]

    def get_url(self, evidence) -> str:
        return reverse("evidence_file", args=[evidence.pk])


class MilestoneSerializer(ScopedModelSerializer):
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id", "plant", "kind", "sequence", "status", "planned_on", "actual_on", "firm_remarks",
            "commissioned_mtpa", "submitted_at", "verified_at", "verification_remarks",
            "accepted_at", "evidence",
        ]  # fmt: skip


class PenaltySerializer(serializers.Serializer):
    days = serializers.IntegerField()
    first_day = serializers.DateField()
    until = serializers.DateField()
    pbg_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    pct_per_day = serializers.DecimalField(max_digits=7, decimal_places=4)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    accruing = serializers.BooleanField()


class PlantSerializer(ScopedModelSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)
    delay_penalty = serializers.SerializerMethodField()

    class Meta:
        model = Plant
        fields = [
            "id", "award", "name", "site_address", "state", "gestation_starts_on",
            "gestation_ends_on", "commissioned_on", "commissioned_mtpa", "milestones", "delay_penalty",
        ]  # fmt: skip

    @extend_schema_field(PenaltySerializer)
    def get_delay_penalty(self, plant) -> dict:
        """Up to the commissioning date; while not commissioned, accrued up to today (inclusive)."""
        penalty = selectors.delay_penalty(plant)
        return PenaltySerializer(
            {
                "days": penalty.days, "first_day": penalty.first_day, "until": penalty.until,
                "pbg_amount": penalty.pbg_amount, "pct_per_day": penalty.pct_per_day,
                "amount": penalty.amount, "accruing": not plant.is_commissioned and penalty.days > 0,
            }
        ).data  # fmt: skip


class OpenGestationSerializer(serializers.Serializer):
    award = ScopedPrimaryKeyRelatedField(queryset=Award.objects.all())
    name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    site_address = serializers.CharField(required=False, default="", allow_blank=True)
    state = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)


class SubmitSerializer(serializers.Serializer):
    actual_on = serializers.DateField()
    remarks = serializers.CharField(required=False, default="", allow_blank=True)
    commissioned_mtpa = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**31 - 1
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )


class RemarksSerializer(serializers.Serializer):
    remarks = serializers.CharField(required=False, default="", allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


def _valid(serializer_class, data, request=None) -> dict:
    payload = serializer_class(data=data, context={"request": request})
    payload.is_valid(raise_exception=True)
    return payload.validated_data


class PlantViewSet(viewsets.ReadOnlyModelViewSet):
    """Plants the caller may see (a firm: its own), each with its milestones and delay penalty."""

    serializer_class = PlantSerializer

    def get_queryset(self):
        return selectors.plants_visible_to(self.request.user).order_by("pk")

    @extend_schema(request=OpenGestationSerializer, responses={201: PlantSerializer})
    def create(self, request):
        """Open an award's gestation (officials)."""
        data = _valid(OpenGestationSerializer, request.data, request)
        plant = services.open_gestation(
            actor=request.user, award=data["award"], name=data["name"],
            site_address=data["site_address"], state=data["state"],
        )  # fmt: skip
        plant = selectors.plants_visible_to(request.user).get(pk=plant.pk)
        return Response(PlantSerializer(plant).data, status=status.HTTP_201_CREATED)


class MilestoneViewSet(viewsets.ReadOnlyModelViewSet):
    """Milestones the caller may see; the firm reports them, the verifier verifies, the approver accepts."""

    serializer_class = MilestoneSerializer
    filterset_fields = ["plant", "status", "kind"]

    def get_queryset(self):
        return (
            Milestone.objects.filter(
                plant__in=selectors.plants_visible_to(self.request.user).values("pk")
            )
            .prefetch_related("evidence")
            .order_by("plant", "sequence")
        )

    def _answer(self, milestone: Milestone) -> Response:
        return Response(MilestoneSerializer(self.get_queryset().get(pk=milestone.pk)).data)

    @extend_schema(request={"multipart/form-data": SubmitSerializer}, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def submit(self, request, pk=None):
        """The firm reports the milestone reached: date, remarks, evidence files (and capacity, for commissioning)."""
        milestone = selectors.milestone_for(request.user, int(pk))
        data = _valid(SubmitSerializer, request.data)
        services.submit_milestone(
            actor=request.user, milestone=milestone, actual_on=data["actual_on"],
            remarks=data["remarks"], files=data["files"],
            commissioned_mtpa=data["commissioned_mtpa"],
        )  # fmt: skip
        return self._answer(milestone)

    @extend_schema(request=RemarksSerializer, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        milestone = selectors.milestone_for(request.user, int(pk))
        data = _valid(RemarksSerializer, request.data)
        services.verify_milestone(actor=request.user, milestone=milestone, remarks=data["remarks"])
        return self._answer(milestone)

    @extend_schema(request=ReasonSerializer, responses=MilestoneSerializer)
    @action(
        detail=True, methods=["post"], url_path="return", parser_classes=[JSONParser, FormParser]
    )
    def return_(self, request, pk=None):
        milestone = selectors.milestone_for(request.user, int(pk))
        data = _valid(ReasonSerializer, request.data)
        services.return_milestone(actor=request.user, milestone=milestone, reason=data["reason"])
        return self._answer(milestone)

    @extend_schema(request=None, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        milestone = selectors.milestone_for(request.user, int(pk))
        services.accept_milestone(actor=request.user, milestone=milestone)
        return self._answer(milestone)
