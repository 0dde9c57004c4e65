"""Forms of the scheme core: an amendment of the rule set."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from repm_portal.models import MONEY, RuleSet
from repm_portal.money import format_indian_number
from repm_portal.selectors import parameter_fields


class IndianMoneyInput(forms.TextInput):
    """Shows rupees grouped the Indian way ("72,80,00,00,000.00"), not as a raw "72800000000.00"."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return format_indian_number(value, 2)
        return super().format_value(value)


class IndianMoneyField(forms.DecimalField):
    """A rupee amount typed with or without Indian grouping commas, and with or without "Rs"."""

    widget = IndianMoneyInput

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # stubs: int
        if isinstance(value, str):
            text = value.strip()
            if text[:2].lower() == "rs":
                text = text[2:].lstrip(". ")
            value = text.replace(",", "").replace(" ", "")
        return super().to_python(value)


def _money_field(field: Any, **kwargs: Any) -> forms.Field | None:
    """Rupee fields of the rule set (18 digits, 2 places) get the Indian-grouped field."""
    if (
        getattr(field, "max_digits", None) == MONEY["max_digits"]
        and getattr(field, "decimal_places", None) == MONEY["decimal_places"]
    ):
        return field.formfield(form_class=IndianMoneyField, **kwargs)
    return field.formfield(**kwargs)


class RuleSetAmendmentForm(forms.ModelForm):
    """Every parameter, prefilled from the latest version; only what the official changes is applied."""

    class Meta:
        model = RuleSet
        formfield_callback = staticmethod(_money_field)
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
    min_net_worth = IndianMoneyField(
        max_digits=18, decimal_places=2, label=_("Minimum net worth (Rs)")
    )
    capital_subsidy_cap = IndianMoneyField(
        max_digits=18, decimal_places=2, label=_("Capital subsidy cap (Rs)")
    )
    min_investment = IndianMoneyField(
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
