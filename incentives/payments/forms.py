"""Forms of payment runs: the bank's return file, and the reason a run is cancelled."""

from __future__ import annotations

from django import forms

from incentives.payments.reading import MAX_BYTES


class ReturnFileForm(forms.Form):
    file = forms.FileField(
        label="Bank's return file (CSV or XLSX)",
        help_text="Columns: instruction_id, utr, amount, date, status (SUCCESS or FAILED), reason.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; at most "
                f"{MAX_BYTES // 1024 // 1024} MB is accepted."
            )
        return upload


class CancelRunForm(forms.Form):
    reason = forms.CharField(
        label="Why is the run cancelled?", min_length=10, widget=forms.Textarea(attrs={"rows": 2})
    )
