"""The form that asks for an evidence bundle."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incentives.evidence.models import BundleRun


class BundleForm(forms.Form):
    financial_year = forms.CharField(
        label=_("Financial year"), max_length=7, help_text=_("For example 2030-31")
    )
    pool = forms.ChoiceField(label=_("Pool"), choices=BundleRun.Pool.choices, required=False)
