"""Public pages of open data: the index of datasets (every column described) and each as CSV."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incentives.opendata import datasets, selectors
from repm_portal import clock
from repm_portal.exports import csv_rows


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "opendata/index.html",
        {
            "datasets": list(datasets.DATASETS.values()),
            "tenders": list(selectors.tenders_with_releases()),
            "min_firms": datasets.MIN_FIRMS,
        },
    )


@require_GET
def dataset_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    dataset = datasets.DATASETS.get(slug)
    if dataset is None:
        raise Http404("No such dataset")
    table = datasets.table(dataset, today=clock.today())
    header = next(table)
    response = StreamingHttpResponse(
        csv_rows([str(h) for h in header], table), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="repm-{slug}.csv"'
    return response
