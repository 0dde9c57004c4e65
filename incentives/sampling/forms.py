"""Forms of the sampling pages: a draw, a finding, a recovery opened from a finding. Services judge."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incentives.models import Pool
from incentives.sampling.models import Outcome

KIND_CHOICES = [
    ("sli_quarter", _("SLI quarterly claims")),
    ("sli_true_up", _("SLI annual true-ups")),
    ("capital_subsidy", _("Capital subsidy claims")),
]


class DrawForm(forms.Form):
    financial_year = forms.ChoiceField(label=_("Financial year of payment"), choices=[])
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of claim"),
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[value for value, _label in KIND_CHOICES],
    )
    floor_pct = forms.DecimalField(
        label=_("Floor (% of the value paid in each award)"),
        min_value=10,
        max_value=100,
        decimal_places=2,
        initial=10,
        help_text=_("At least 10 %; each award's claims are drawn until this share is covered."),
    )
    seed = forms.CharField(
        label=_("Seed"),
        required=False,
        max_length=64,
        help_text=_("Leave empty to draw one at random; it is stored with the sample either way."),
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("Why this sample: the risk it addresses, the floor and kinds chosen."),
    )

    def __init__(self, *args, years=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["financial_year"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [(f"{y.start_year}-{(y.start_year + 1) % 100:02d}", y.label) for y in years]


class FindingForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    text = forms.CharField(
        label=_("What the field check found"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=8000,
    )
    amount_at_issue = forms.DecimalField(
        label=_("Amount at issue (Rs)"),
        max_digits=18,
        decimal_places=2,
        required=False,
        help_text=_("Nothing for no issue; more than zero for a recommended recovery."),
    )
    evidence = forms.FileField(
        label=_("Evidence (PDF, PNG or JPEG)"),
        required=False,
        help_text=_("Required for a discrepancy or a recommended recovery."),
    )


class OpenRecoveryForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the award refunds what it was paid"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    pools = forms.MultipleChoiceField(
        label=_("Payments recovered"), choices=Pool.choices, widget=forms.CheckboxSelectMultiple
    )
    as_of = forms.DateField(
        label=_("Interest up to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    invoke_guarantee = forms.BooleanField(
        label=_("Invoke the performance bank guarantee on confirmation"), required=False
    )
