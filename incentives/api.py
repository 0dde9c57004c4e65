"""API of the money core: sanction letters with their payment position, payments, the ledger.

Reads go through the scoped selectors (a firm sees only its own); a payment is recorded through
the same service as the page.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from incentives import selectors, services
from incentives.forms import LedgerFilterForm
from incentives.models import LedgerEntry, Payment, SanctionLetter
from repm_portal.schema import never_answers
from repm_portal.scoping import ScopedModelSerializer


class SanctionLetterSerializer(ScopedModelSerializer):
    beneficiary = serializers.CharField(source="award.bid.bidder_name")
    tender = serializers.CharField(source="award.tender.reference")
    award_label = serializers.CharField(source="award.label")
    rule_set_version = serializers.IntegerField(source="rule_set.version")
    reverses = serializers.CharField(source="reverses.number", default=None, allow_null=True)
    paid = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()
    days_since_sanction = serializers.SerializerMethodField()
    payment_sla_days = serializers.IntegerField(source="rule_set.payment_sla_days")
    overdue = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()
    computation = serializers.JSONField(source="content.lines")

    class Meta:
        model = SanctionLetter
        fields = [
            "id", "number", "dated", "status", "claim_type", "claim_id", "pool", "amount",
            "beneficiary", "tender", "award", "award_label", "rule_set_version", "reverses",
            "paid", "pending", "days_since_sanction", "payment_sla_days", "overdue", "sha256",
            "pdf_url", "verify_url", "computation",
        ]  # fmt: skip

    def _position(self, letter) -> selectors.PaymentPosition:
        cache = self.context.setdefault("positions", {})
        if letter.pk not in cache:
            cache[letter.pk] = selectors.payment_position(letter)
        return cache[letter.pk]

    def get_paid(self, letter) -> str:
        return str(self._position(letter).paid)

    def get_pending(self, letter) -> str:
        return str(self._position(letter).pending)

    def get_days_since_sanction(self, letter) -> int:
        return self._position(letter).days

    def get_overdue(self, letter) -> bool:
        return self._position(letter).overdue

    def get_pdf_url(self, letter) -> str | None:
        if letter.status != SanctionLetter.Status.ISSUED:
            return None
        return reverse("sanction_letter_pdf", args=[letter.pk])

    def get_verify_url(self, letter) -> str:
        return reverse("letter_verify", args=[letter.verify_token])


class PaymentSerializer(ScopedModelSerializer):
    letter_number = serializers.CharField(source="letter.number", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "letter",
            "letter_number",
            "amount",
            "paid_on",
            "utr",
            "remarks",
            "recorded_at",
        ]
        read_only_fields = ["id", "letter_number", "recorded_at"]


class LedgerEntrySerializer(ScopedModelSerializer):
    letter_number = serializers.CharField(source="letter.number", default=None, allow_null=True)
    rule_set_version = serializers.IntegerField(source="rule_set.version")

    class Meta:
        model = LedgerEntry
        fields = [
            "id", "posted_at", "kind", "account", "pool", "amount", "award", "claim_type",
            "claim_id", "rule_set_version", "letter", "letter_number", "document_ref",
            "source_key", "reverses", "award_cap", "narration",
        ]  # fmt: skip


_LETTER_SHOWN = (
    "id", "number", "dated", "status", "claim_type", "claim_id", "pool", "amount", "deducted",
    "reverses_id", "sha256", "verify_token", "content", "award__rank", "award__tender__reference",
    "award__bid__firm__legal_name", "award__bid__consortium__name", "rule_set__version",
    "rule_set__payment_sla_days",
)  # fmt: skip
_ENTRY_SHOWN = (
    "id", "posted_at", "kind", "account", "pool", "amount", "award_id", "claim_type", "claim_id",
    "rule_set__version", "letter__number", "document_ref", "source_key", "reverses_id",
    "award_cap", "narration",
)  # fmt: skip


class SanctionLetterViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SanctionLetterSerializer

    def get_queryset(self):
        letters = selectors.with_corrections(selectors.letters_visible_to(self.request.user))
        # Only what the serializer shows: not the rule set's figures, the firm's and tender's
        # other columns, or the letter's file fields.
        return letters.only(*_LETTER_SHOWN).order_by("-dated", "-serial")


class PaymentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PaymentSerializer

    def get_queryset(self):
        return selectors.payments_visible_to(self.request.user)

    @extend_schema(request=PaymentSerializer, responses={201: PaymentSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        letter = selectors.letters_visible_to(request.user).filter(pk=data["letter"].pk).first()
        if letter is None:
            return Response(
                {"letter": ["No such sanction letter."]}, status=status.HTTP_400_BAD_REQUEST
            )
        payment = services.record_payment(
            actor=request.user, letter=letter, amount=data["amount"], paid_on=data["paid_on"],
            utr=data["utr"], remarks=data.get("remarks", ""),
        )  # fmt: skip
        return Response(self.get_serializer(payment).data, status=status.HTTP_201_CREATED)


def _ledger_filters() -> list[OpenApiParameter]:
    """The ledger page's filters (LedgerFilterForm), which the list reads too; a value the form
    refuses filters nothing."""
    form = LedgerFilterForm()
    choices = {
        name: [c for c, _ in form.fields[name].choices if c] for name in ("pool", "account", "kind")
    }
    return [
        OpenApiParameter("pool", str, enum=choices["pool"]),
        OpenApiParameter("account", str, enum=choices["account"]),
        OpenApiParameter("kind", str, enum=choices["kind"]),
        OpenApiParameter("award", int),
        OpenApiParameter("claim_type", str, description="e.g. capital_subsidy"),
    ]


@extend_schema_view(list=extend_schema(parameters=_ledger_filters()))
@never_answers(400)
class LedgerEntryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LedgerEntrySerializer

    def get_queryset(self):
        form = LedgerFilterForm(self.request.query_params or None)
        entries = form.apply(selectors.entries_visible_to(self.request.user))
        # The serializer shows the entry's own columns, its letter's number and its rule set's
        # version: the award's chain, the poster and the letter's stored JSON are not read.
        entries = entries.select_related(None).select_related("letter", "rule_set")
        return entries.only(*_ENTRY_SHOWN).order_by("id")
