"""Forms of the sales-claim pages: the firm's submission, and the officials' decisions."""

from __future__ import annotations

from typing import Any

from django import forms

from incentives.claims.models import KG, MONEY, LineAdjustment


class SubmitForm(forms.Form):
    certificate = forms.FileField(
        label="Chartered accountant's certificate (PDF)",
        help_text="The CA's certificate of these sales; at most 20 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )
    declaration = forms.BooleanField(
        label=(
            "I declare that these lines are true and complete, each a sale of sintered NdFeB "
            "magnets made in the award's registered plant, and that no invoice is claimed twice."
        ),
        error_messages={"required": "Tick the declaration: the lines are true and complete."},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class VerifyForm(forms.Form):
    remarks = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )


class AdjustForm(forms.Form):
    # Its own ids: the return and reject forms on the same page have a "reason" field too.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "adjust_%s")
        super().__init__(*args, **kwargs)

    row = forms.IntegerField(min_value=1, label="Row in the file")
    kind = forms.ChoiceField(choices=LineAdjustment.Kind.choices, label="Adjustment")
    quantity_kg = forms.DecimalField(
        required=False, label="Corrected kg", max_digits=KG["max_digits"],
        decimal_places=KG["decimal_places"],
    )  # fmt: skip
    net_sales_value = forms.DecimalField(
        required=False, label="Corrected net value (Rs)", max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
    )  # fmt: skip
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
