"""Forms of the money core: they parse input; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incentives.models import EntryKind, Pool


def _translated(choices: Iterable[tuple[str, str]]) -> list[tuple[str, Any]]:
    """Model choices with their labels in the page's language (the catalogue has them)."""
    return [(value, _(label)) for value, label in choices]


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount paid (Rs)"), max_digits=18, decimal_places=2)
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    utr = forms.CharField(
        label=_("UTR reference"),
        max_length=22,
        help_text=_("The bank's unique transaction reference"),
    )
    remarks = forms.CharField(
        label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the letter corrected?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class VerifyLetterForm(forms.Form):
    pdf = forms.FileField(label=_("The sanction letter PDF you hold"))


class LedgerFilterForm(forms.Form):
    pool = forms.ChoiceField(
        label=_("Pool"), choices=[("", _("Any pool")), *_translated(Pool.choices)], required=False
    )
    account = forms.ChoiceField(
        label=_("Account"),
        choices=[
            ("", _("Any account")),
            *_translated(c for c in EntryKind.choices if c[0] != "reversal"),
        ],
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("Any kind")), *_translated(EntryKind.choices)],
        required=False,
    )
    award = forms.IntegerField(label=_("Award"), required=False, min_value=1, max_value=2**63 - 1)
    claim_type = forms.CharField(label=_("Claim type"), required=False, max_length=40)

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
