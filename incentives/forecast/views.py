"""The budget forecast page and its CSV: parse the scenario, read the input, run the engine, render."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from incentives.forecast import selectors
from incentives.forecast.engine import Forecast, forecast
from incentives.forecast.forms import ScenarioForm, default_data
from repm_portal import clock
from repm_portal.exports import csv_rows


def _form(request: HttpRequest) -> ScenarioForm:
    return ScenarioForm(request.GET if request.GET else default_data())


def _run(request: HttpRequest, form: ScenarioForm) -> tuple[Forecast, selectors.ForecastSource]:
    source = selectors.forecast_input(request.user, scenario=form.scenario, today=clock.today())
    return forecast(source.data), source


def chart_data(result: Forecast) -> dict[str, Any]:
    """The chart's series as exact decimal strings, the same figures as the table."""
    rows = result.rows
    return {
        "labels": [row.label for row in rows],
        "sli": [f"{row.sli_total:f}" for row in rows],
        "capital": [f"{row.capital_total:f}" for row in rows],
        "sli_cumulative": [f"{row.sli_cumulative:f}" for row in rows],
        "sli_pool": [f"{result.sli.limit:f}" for _ in rows],
        "capital_cumulative": [f"{row.capital_cumulative:f}" for row in rows],
        "capital_pool": [f"{result.capital.limit:f}" for _ in rows],
        "names": {
            "sli": _("SLI in the year"),
            "capital": _("Capital subsidy in the year"),
            "sli_cumulative": _("SLI cumulative"),
            "sli_pool": _("SLI pool"),
            "capital_cumulative": _("Capital subsidy cumulative"),
            "capital_pool": _("Capital subsidy pool"),
        },
    }


@login_required
@require_GET
def forecast_page(request: HttpRequest) -> HttpResponse:
    selectors.require_forecast_reader(request.user)
    form = _form(request)
    if not form.is_valid():
        return render(request, "forecast/forecast.html", {"form": form}, status=400)
    result, source = _run(request, form)
    return render(
        request,
        "forecast/forecast.html",
        {
            "form": form,
            "forecast": result,
            "rule_set": source.rule_set,
            "awards": source.data.awards,
            "chart": chart_data(result),
            "by_award": result.by_award(),
            "query": request.GET.urlencode() or urlencode(default_data()),
        },
    )


CSV_COLUMNS = [
    "Financial year",
    "Basis",
    "SLI sanctioned (ledger)",
    "SLI paid (ledger)",
    "SLI projected",
    "SLI in the year",
    "SLI cumulative",
    "SLI pool headroom",
    "Capital subsidy sanctioned (ledger)",
    "Capital subsidy paid (ledger)",
    "Capital subsidy projected",
    "Capital subsidy in the year",
    "Capital subsidy cumulative",
    "Capital subsidy pool headroom",
]


def _csv_lines(result: Forecast, stamp: list[str]) -> Iterator[list[Any]]:
    for row in result.rows:
        yield [
            row.label,
            row.basis,
            *(
                f"{value:f}"
                for value in (
                    row.sli_sanctioned,
                    row.sli_paid,
                    row.sli_projected,
                    row.sli_total,
                    row.sli_cumulative,
                    row.sli_headroom,
                    row.capital_sanctioned,
                    row.capital_paid,
                    row.capital_projected,
                    row.capital_total,
                    row.capital_cumulative,
                    row.capital_headroom,
                )
            ),
        ]
    yield []
    yield stamp


@login_required
@require_GET
def forecast_csv(request: HttpRequest) -> HttpResponse:
    selectors.require_forecast_reader(request.user)
    form = _form(request)
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    result, source = _run(request, form)
    s = result.scenario
    now = timezone.localtime(clock.now())
    stamp = [
        f"Produced {now:%d %b %Y %H:%M} by {request.user.get_username()} as of {result.as_of:%d %b %Y}",
        f"rule set v{source.rule_set.version}",
        f"ramp {s.ramp_quarters} quarters; utilisation {s.utilisation_pct:f} %; "
        f"price Rs {s.price_per_kg:f}/kg; SLI payment lag {s.payment_lag_months} months",
    ]
    response = StreamingHttpResponse(
        csv_rows(CSV_COLUMNS, _csv_lines(result, stamp)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="repm-budget-forecast-{result.as_of:%Y%m%d}.csv"'
    )
    return response
