"""API of samples, read-only: each sample with its seed, population (for an independent replay),
strata, claims and findings. Auditors and officials only; anyone else is refused (403)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets

from incentives.sampling import selectors
from incentives.sampling.models import Finding, Sample, SampledClaim, SampleStratum
from repm_portal.scoping import ScopedModelSerializer


class FindingSerializer(ScopedModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    recoveries = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id", "outcome", "text", "amount_at_issue", "evidence_name", "evidence_sha256",
            "recorded_by", "recorded_at", "recoveries",
        ]  # fmt: skip

    def get_recoveries(self, finding: Finding) -> list[int]:
        return [link.recovery_id for link in finding.recoveries.all()]


class SampledClaimSerializer(ScopedModelSerializer):
    stratum = serializers.CharField(source="stratum.key", read_only=True)
    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = SampledClaim
        fields = [
            "id", "stratum", "award", "claim_type", "claim_id", "value_paid", "draw_order",
            "letters", "findings",
        ]  # fmt: skip


class StratumSerializer(ScopedModelSerializer):
    class Meta:
        model = SampleStratum
        fields = [
            "key", "award", "position", "population_count", "population_value", "target_value",
            "sampled_count", "sampled_value",
        ]  # fmt: skip


class SampleSerializer(ScopedModelSerializer):
    drawn_by = serializers.CharField(source="drawn_by.username", read_only=True)

    class Meta:
        model = Sample
        fields = [
            "id", "financial_year", "kinds", "floor_pct", "seed", "seed_source", "rationale",
            "algorithm", "population_hash", "population_count", "population_value",
            "sampled_count", "sampled_value", "drawn_by", "drawn_at",
        ]  # fmt: skip


class SampleDetailSerializer(SampleSerializer):
    strata = serializers.SerializerMethodField()
    claims = serializers.SerializerMethodField()

    class Meta(SampleSerializer.Meta):
        fields = [*SampleSerializer.Meta.fields, "definition", "population", "strata", "claims"]

    @extend_schema_field(StratumSerializer(many=True))
    def get_strata(self, sample: Sample) -> Any:
        return StratumSerializer(sample.strata.order_by("position"), many=True).data

    @extend_schema_field(SampledClaimSerializer(many=True))
    def get_claims(self, sample: Sample) -> Any:
        return SampledClaimSerializer(selectors.claims_of(sample), many=True).data


class SampleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Samples drawn by the auditors; the detail holds everything needed to replay the draw."""

    filterset_fields = ["financial_year"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator asks without a user
            return Sample.objects.none()
        if not selectors.can_read(self.request.user):
            raise PermissionDenied("Samples are for auditors and officials only.")
        return selectors.samples_visible_to(self.request.user).order_by("pk")

    def get_serializer_class(self):
        return SampleDetailSerializer if self.action == "retrieve" else SampleSerializer


__all__ = ["SampleViewSet"]
