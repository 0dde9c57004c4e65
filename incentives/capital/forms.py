"""Forms of the capital subsidy pages: the upload, and the staff decisions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LedgerUploadForm(forms.Form):
    ledger = forms.FileField(
        label=_("Investment ledger (CSV or XLSX)"),
        help_text=_(
            "From the published template: item, head, vendor, invoice_number, invoice_date, amount."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    certificate = forms.FileField(
        label=_("Chartered accountant's certificate (PDF)"),
        required=False,
        help_text=_("Required with the first upload; attach a new one to replace it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class VerifyForm(forms.Form):
    remarks = forms.CharField(
        label=_("Remarks"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
    )

    def exclusions(self, data) -> dict[int, str]:
        """Lines ticked for exclusion (exclude_<id>) with their reasons (reason_<id>)."""
        chosen: dict[int, str] = {}
        for key in data:
            if key.startswith("exclude_") and key[8:].isdigit():
                line_id = int(key[8:])
                chosen[line_id] = data.get(f"reason_{line_id}", "")
        return chosen
