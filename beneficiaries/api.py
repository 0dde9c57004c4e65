"""API for firms and consortia: registration is public, everything else scoped to the caller."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from beneficiaries import selectors, services
from beneficiaries.models import BankAccount, Consortium, ConsortiumMember, Firm
from repm_portal.scoping import ScopedModelSerializer


class BankAccountSerializer(ScopedModelSerializer):
    class Meta:
        model = BankAccount
        fields = [
            "id",
            "account_holder",
            "account_number",
            "ifsc",
            "bank_name",
            "branch",
            "is_primary",
            "status",
        ]


class FirmSerializer(ScopedModelSerializer):
    bank_accounts = BankAccountSerializer(many=True, read_only=True)

    class Meta:
        model = Firm
        fields = [
            "id", "legal_name", "country", "cin", "foreign_registration_number", "pan", "gstin",
            "registered_address", "signatory_name", "signatory_designation", "signatory_email",
            "signatory_phone", "bank_accounts", "created_at",
        ]  # fmt: skip


class FirmViewSet(viewsets.ReadOnlyModelViewSet):
    """Firms: a firm user gets only its own; ministry, agency and audit staff get all."""

    serializer_class = FirmSerializer
    filterset_fields = ["country"]

    def get_queryset(self):
        return selectors.firms_visible_to(self.request.user)


class ConsortiumMemberSerializer(ScopedModelSerializer):
    firm = serializers.StringRelatedField(allow_null=True)  # none while the invitation is open

    class Meta:
        model = ConsortiumMember
        fields = ["firm_id", "firm", "invited_identifier", "equity_pct", "status"]


class ConsortiumSerializer(ScopedModelSerializer):
    members = ConsortiumMemberSerializer(many=True, read_only=True)
    lead = serializers.StringRelatedField()

    class Meta:
        model = Consortium
        fields = ["id", "name", "lead_id", "lead", "status", "members", "created_at"]


class ConsortiumViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ConsortiumSerializer

    def get_queryset(self):
        return selectors.consortia_visible_to(self.request.user)


class RegistrationBankSerializer(serializers.Serializer):
    account_holder = serializers.CharField()
    account_number = serializers.CharField()
    ifsc = serializers.CharField()
    bank_name = serializers.CharField()
    branch = serializers.CharField()


class RegistrationUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True)
    first_name = serializers.CharField(required=False, allow_blank=True)
    last_name = serializers.CharField(required=False, allow_blank=True)


class RegistrationFirmSerializer(serializers.Serializer):
    legal_name = serializers.CharField()
    country = serializers.CharField(default="IN")
    cin = serializers.CharField(required=False, allow_blank=True)
    foreign_registration_number = serializers.CharField(required=False, allow_blank=True)
    pan = serializers.CharField(required=False, allow_blank=True)
    gstin = serializers.CharField(required=False, allow_blank=True)
    registered_address = serializers.CharField()
    signatory_name = serializers.CharField()
    signatory_designation = serializers.CharField()
    signatory_email = serializers.EmailField()
    signatory_phone = serializers.CharField()


class RegistrationSerializer(serializers.Serializer):
    firm = RegistrationFirmSerializer()
    bank_account = RegistrationBankSerializer()
    user = RegistrationUserSerializer()


class RegistrationThrottle(AnonRateThrottle):
    rate = "20/hour"


@extend_schema(request=RegistrationSerializer, responses={201: FirmSerializer})
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([RegistrationThrottle])
def register_firm(request):
    """Register a firm with its KYC, payout bank account and first user, all or nothing."""
    payload = RegistrationSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    firm, _user = services.register_firm(
        firm=data["firm"], bank_account=data["bank_account"], user=data["user"]
    )
    return Response(FirmSerializer(firm).data, status=status.HTTP_201_CREATED)
