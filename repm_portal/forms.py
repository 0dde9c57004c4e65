"""Forms of the scheme core: an amendment of the rule set."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from repm_portal.models import RuleSet
from repm_portal.selectors import parameter_fields


class RuleSetAmendmentForm(forms.ModelForm):
    """Every parameter, prefilled from the latest version; only what the official changes is applied."""

    class Meta:
        model = RuleSet
        fields = ["effective_from", "notification", "notified_on", "summary"] + [
            f.name for f in parameter_fields()
        ]
        widgets = {
            "effective_from": forms.DateInput(attrs={"type": "date"}),
            "notified_on": forms.DateInput(attrs={"type": "date"}),
            "capital_investment_from": forms.DateInput(attrs={"type": "date"}),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def changes_from(self, base: RuleSet) -> dict:
        return {
            f.name: self.cleaned_data[f.name]
            for f in parameter_fields()
            if self.cleaned_data[f.name] != getattr(base, f.name)
        }


class SlabForm(forms.Form):
    min_capacity_mtpa = forms.IntegerField(min_value=1, max_value=2**31 - 1, label="From (MTPA)")
    max_capacity_mtpa = forms.IntegerField(min_value=1, max_value=2**31 - 1, label="To (MTPA)")
    min_net_worth = forms.DecimalField(
        max_digits=18, decimal_places=2, label="Minimum net worth (Rs)"
    )
    capital_subsidy_cap = forms.DecimalField(
        max_digits=18, decimal_places=2, label="Capital subsidy cap (Rs)"
    )
    min_investment = forms.DecimalField(
        max_digits=18, decimal_places=2, label="Minimum investment (Rs)"
    )


SlabFormSet = forms.formset_factory(SlabForm, extra=0, min_num=1, validate_min=True)


def attach_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: at its field where the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def flash_errors(request, exc: ValidationError) -> None:
    """Show a service's ValidationError as messages, for an action that has no form to hold it."""
    from django.contrib import messages

    for message in exc.messages:
        messages.error(request, message)
