"""Forms of gestation: they parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bidding.forms import MultipleFileField
from bidding.models import Award

DATE = {"type": "date"}


class SubmitMilestoneForm(forms.Form):
    actual_on = forms.DateField(label=_("Date reached"), widget=forms.DateInput(attrs=DATE))
    commissioned_mtpa = forms.IntegerField(
        label=_("Commissioned capacity (MTPA)"),
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("As the commissioning certificate states; at most the capacity awarded."),
    )
    remarks = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Remarks")
    )
    # Empty files reach the service, whose message names the file.
    files = MultipleFileField(
        label=_("Evidence (PDF, PNG or JPEG; at most 10 MB each)"),
        required=False,
        allow_empty_file=True,
    )

    def __init__(self, *args, commissioning: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not commissioning:
            del self.fields["commissioned_mtpa"]
        else:
            self.fields["commissioned_mtpa"].required = True


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label=_("What the firm must correct")
    )


class RemarksForm(forms.Form):
    remarks = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Verification remarks")
    )


class OpenGestationForm(forms.Form):
    award = forms.ModelChoiceField(queryset=Award.objects.none(), label=_("Award"))
    name = forms.CharField(max_length=200, required=False, label=_("Plant name"))
    site_address = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Site address")
    )
    state = forms.CharField(max_length=60, required=False, label=_("State"))

    def __init__(self, *args, awards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["award"].queryset = awards
        self.fields["award"].label_from_instance = lambda a: (
            f"{a.tender.reference} {a.label}: {a.bid.bidder_name}"
        )
