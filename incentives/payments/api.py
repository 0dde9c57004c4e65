"""API of payment runs: the finance wing and auditors read runs and their instructions; officials act.

Reads go through the scoped selectors (anyone else gets 403), writes through the services, which
check who may act: the preparer never releases, and a refused return file answers 400 with every
row and column at fault.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from incentives.payments import returns, selectors, services
from incentives.payments.models import PaymentInstruction, PaymentRun
from repm_portal.scoping import ScopedModelSerializer


class InstructionSerializer(ScopedModelSerializer):
    letter_number = serializers.CharField(source="letter.number", read_only=True)
    reissues = serializers.CharField(
        source="reissues.instruction_id", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = PaymentInstruction
        fields = [
            "instruction_id", "position", "letter_number", "beneficiary_name", "account_holder",
            "account_number", "ifsc", "bank_name", "amount", "narration", "status", "utr",
            "bank_date", "failure_reason", "reissues",
        ]  # fmt: skip


class RunSerializer(ScopedModelSerializer):
    prepared_by = serializers.CharField(source="prepared_by.username", read_only=True)
    released_by = serializers.CharField(
        source="released_by.username", default=None, read_only=True, allow_null=True
    )
    instructions = InstructionSerializer(many=True, read_only=True)

    class Meta:
        model = PaymentRun
        fields = [
            "id", "reference", "status", "total", "instruction_count", "prepared_by",
            "prepared_at", "released_by", "released_at", "closed_at", "cancelled_at",
            "cancel_reason", "instructions",
        ]  # fmt: skip


class ReturnFileSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The bank's return file, CSV or XLSX")


class AppliedSerializer(serializers.Serializer):
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    closed = serializers.BooleanField()
    sha256 = serializers.CharField()


class PaymentRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RunSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator types the path id
            return PaymentRun.objects.none()
        if not selectors.can_read(self.request.user):
            raise PermissionDenied("Payment runs are for the ministry's finance wing and auditors.")
        # Newest first, in a fixed order the pages of the list keep.
        return (
            selectors.runs_visible_to(self.request.user)
            .prefetch_related("instructions__letter", "instructions__reissues")
            .order_by("-prepared_at", "-pk")
        )

    @extend_schema(request=None, responses={200: RunSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        try:
            services.release_run(actor=request.user, run=run)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except ValidationError as exc:
            return Response({"errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RunSerializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(request=ReturnFileSerializer, responses={200: AppliedSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], url_path="return-file")
    def return_file(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"errors": ["Attach the bank's return file as `file`."]}, status=400)
        try:
            applied = returns.import_return_file(
                actor=request.user, run=run, data=upload.read(), filename=upload.name
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except returns.ReturnFileRefused as exc:
            problems = [
                {"row": p.row, "column": p.column, "letter": p.letter, "message": p.message}
                for p in exc.problems
            ]
            return Response({"errors": problems}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "succeeded": applied.succeeded,
                "failed": applied.failed,
                "closed": applied.closed,
                "sha256": applied.return_file.sha256,
            }
        )
