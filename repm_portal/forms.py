"""Forms of the scheme core: an amendment of the rule set."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The model's verbose names and help texts are in English (changing them would make
        # migrations); the catalogue translates them for the page.
        for name, field in self.fields.items():
            model_field = RuleSet._meta.get_field(name)
            field.label = capfirst(gettext(str(model_field.verbose_name)))
            if field.help_text:
                field.help_text = gettext(str(field.help_text))

    def changes_from(self, base: RuleSet) -> dict:
        return {
            f.name: self.cleaned_data[f.name]
            for f in parameter_fields()
            if self.cleaned_data[f.name] != getattr(base, f.name)
        }


class SlabForm(forms.Form):
    min_capacity_mtpa = forms.IntegerField(min_value=1, max_value=2**31 - 1, label=_("From (MTPA)"))
    max_capacity_mtpa = forms.IntegerField(min_value=1, max_value=2**31 - 1, label=_("To (MTPA)"))
    min_net_worth = forms.DecimalField(
        max_digits=18, decimal_places=2, label=_("Minimum net worth (Rs)")
    )
    capital_subsidy_cap = forms.DecimalField(
        max_digits=18, decimal_places=2, label=_("Capital subsidy cap (Rs)")
    )
    min_investment = forms.DecimalField(
        max_digits=18, decimal_places=2, label=_("Minimum investment (Rs)")
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
