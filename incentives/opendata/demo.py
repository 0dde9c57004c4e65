"""Demo of open data: keep the releases of every public moment the other demos made, and list them."""

from __future__ import annotations

from django.urls import reverse

from incentives.opendata import datasets, selectors, services


def seed() -> list[str]:
    kept = services.keep_releases()
    lines = [f"OCDS: {len(kept)} release(s) kept by this run (a repeat keeps none)"]
    for tender in selectors.tenders_with_releases():
        last = selectors.releases_of(tender)[-1]
        lines.append(
            f"{tender.reference}: {tender.release_count} releases, the last "
            f"{last.date:%d %b %Y} ({', '.join(last.tags)}); record "
            f"{reverse('ocds-record', args=[tender.ocid])}"
        )
    lines.append(
        f"Open data {reverse('open_data')}: "
        + ", ".join(reverse("open_data_csv", args=[slug]) for slug in datasets.DATASETS)
    )
    return lines
