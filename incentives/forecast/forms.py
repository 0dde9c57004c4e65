"""The forecast's scenario, read from the query string; the engine's Scenario says what is valid."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incentives.forecast.engine import MAX_LAG_MONTHS, MAX_RAMP_QUARTERS, Scenario, ScenarioError

DEFAULTS = Scenario()


def default_data() -> dict[str, str]:
    return {
        "ramp_quarters": str(DEFAULTS.ramp_quarters),
        "utilisation_pct": f"{DEFAULTS.utilisation_pct:f}",
        "price_per_kg": f"{DEFAULTS.price_per_kg:f}",
        "payment_lag_months": str(DEFAULTS.payment_lag_months),
    }


class ScenarioForm(forms.Form):
    ramp_quarters = forms.IntegerField(
        label=_("Ramp to full utilisation (quarters after commissioning)"),
        help_text=_("0 to %(max)s; 0 runs at full utilisation from the first quarter")
        % {"max": MAX_RAMP_QUARTERS},
    )
    utilisation_pct = forms.DecimalField(
        label=_("Utilisation at full ramp (%)"), help_text=_("above 0, at most 100")
    )
    price_per_kg = forms.DecimalField(
        label=_("Selling price (Rs/kg, net of GST)"),
        help_text=_("for the turnover cap; the demo's sales average about Rs 7,000/kg"),
    )
    payment_lag_months = forms.IntegerField(
        label=_("SLI payment lag (months after the quarter ends)"),
        help_text=_("0 to %(max)s") % {"max": MAX_LAG_MONTHS},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.scenario = Scenario(
                ramp_quarters=data["ramp_quarters"],
                utilisation_pct=Decimal(data["utilisation_pct"]),
                price_per_kg=Decimal(data["price_per_kg"]),
                payment_lag_months=data["payment_lag_months"],
            )
        except ScenarioError as error:
            self.add_error(error.key, error.reason[:1].upper() + error.reason[1:] + ".")
        return data
