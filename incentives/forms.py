"""Forms of the money core: they parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms

from incentives.models import EntryKind, Pool


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label="Amount paid (Rs)", max_digits=18, decimal_places=2)
    paid_on = forms.DateField(label="Paid on", widget=forms.DateInput(attrs={"type": "date"}))
    utr = forms.CharField(
        label="UTR reference", max_length=22, help_text="The bank's unique transaction reference"
    )
    remarks = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label="Why is the letter corrected?", widget=forms.Textarea(attrs={"rows": 3})
    )


class VerifyLetterForm(forms.Form):
    pdf = forms.FileField(label="The sanction letter PDF you hold")


class LedgerFilterForm(forms.Form):
    pool = forms.ChoiceField(choices=[("", "Any pool"), *Pool.choices], required=False)
    account = forms.ChoiceField(
        label="Account",
        choices=[("", "Any account"), *[c for c in EntryKind.choices if c[0] != "reversal"]],
        required=False,
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *EntryKind.choices], required=False)
    award = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    claim_type = forms.CharField(required=False, max_length=40)

    def apply(self, query):
        if not self.is_valid():
            return query
        data = self.cleaned_data
        for name in ("pool", "account", "kind", "claim_type"):
            if data.get(name):
                query = query.filter(**{name: data[name]})
        if data.get("award"):
            query = query.filter(award_id=data["award"])
        return query
