"""Forms of the recovery pages: a proposal, a withdrawal, a repayment. The services judge the values."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incentives.models import Pool
from incentives.recovery.models import Grounds


class ProposeForm(forms.Form):
    award = forms.TypedChoiceField(label=_("Award"), coerce=int, choices=[])
    grounds = forms.ChoiceField(label=_("Grounds"), choices=Grounds.choices)
    reason = forms.CharField(
        label=_("Why the award refunds what it was paid"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    pools = forms.MultipleChoiceField(
        label=_("Payments recovered"),
        choices=Pool.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(Pool.values),
    )
    as_of = forms.DateField(
        label=_("Interest up to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    invoke_guarantee = forms.BooleanField(
        label=_("Invoke the performance bank guarantee on confirmation"), required=False
    )

    def __init__(self, *args, awards=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        award = self.fields["award"]
        assert isinstance(award, forms.TypedChoiceField)  # noqa: S101 (declared above)
        award.choices = [
            (a.pk, f"{a.label} on {a.tender.reference}: {a.bid.bidder_name}") for a in awards
        ]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the recovery withdrawn?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
    )


class RepaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount repaid (Rs)"), max_digits=18, decimal_places=2)
    paid_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    utr = forms.CharField(
        label=_("UTR reference"),
        max_length=22,
        help_text=_("The bank's unique transaction reference"),
    )
