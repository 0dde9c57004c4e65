"""Forms of payment runs: the bank's return file, and the reason a run is cancelled."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incentives.payments.reading import MAX_BYTES


class ReturnFileForm(forms.Form):
    file = forms.FileField(
        label=_("Bank's return file (CSV or XLSX)"),
        help_text=_(
            "Columns: instruction_id, utr, amount, date, status (SUCCESS or FAILED), reason."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; at most %(max)d MB is accepted.")
                % {"size": upload.size / 1024 / 1024, "max": MAX_BYTES // 1024 // 1024}
            )
        return upload


class CancelRunForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the run cancelled?"),
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
