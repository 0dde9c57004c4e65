"""The filters of each export, shared by the page, the streamed CSV and the background run."""

from __future__ import annotations

import django_filters

from bidding.models import Award, PerformanceBankGuarantee
from incentives.models import Pool, SanctionLetter
from incentives.oversight import selectors


def _year_choices() -> list[tuple[str, str]]:
    return [(year, year) for year in selectors.financial_years()]


def _kind_choices() -> list[tuple[str, str]]:
    return [(kind, kind) for kind in selectors.claim_kinds()]


class LetterFilter(django_filters.FilterSet):
    """The disbursement register's filters; the working sheets take the same (the letters they cover)."""

    financial_year = django_filters.ChoiceFilter(choices=[], label="Financial year")
    pool = django_filters.ChoiceFilter(choices=Pool.choices, label="Pool")
    award = django_filters.ModelChoiceFilter(
        queryset=Award.objects.select_related("tender").order_by("tender__reference", "rank"),
        label="Award",
    )
    kind = django_filters.ChoiceFilter(field_name="claim_type", choices=[], label="Kind of claim")

    class Meta:
        model = SanctionLetter
        fields = ["financial_year", "pool", "award", "kind"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The years and kinds that letters exist for, read when the filter is made.
        self.filters["financial_year"].extra["choices"] = _year_choices()
        self.filters["kind"].extra["choices"] = _kind_choices()


class GuaranteeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=PerformanceBankGuarantee.Status.choices, label="Status"
    )
    award = django_filters.ModelChoiceFilter(
        queryset=Award.objects.select_related("tender").order_by("tender__reference", "rank"),
        label="Award",
    )

    class Meta:
        model = PerformanceBankGuarantee
        fields = ["status", "award"]
