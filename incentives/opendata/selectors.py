"""Reads of open data: kept releases and their packages (public: anyone may read them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Max
from django.http import Http404
from django.urls import reverse

from bidding import ocds as tender_ocds
from bidding.models import Tender
from incentives.opendata import merge
from incentives.opendata.models import KeptRelease
from incentives.opendata.ocds import public_tenders


def _url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}{path}"


def tender_of_ocid(ocid: str) -> Tender:
    """The public tender an ocid names (404 for a draft, a stranger's prefix or a typo)."""
    prefix = f"{tender_ocds.OCID_PREFIX}-"
    number = ocid.removeprefix(prefix)
    if not ocid.startswith(prefix) or not number.isdigit():
        raise Http404("No such ocid")
    tender = public_tenders().filter(pk=int(number)).first()
    if tender is None:
        raise Http404("No such ocid")
    return tender


def releases_of(tender: Tender) -> list[KeptRelease]:
    # In date order, as a reader expects (the sequence is the order they were kept in).
    releases = list(KeptRelease.objects.filter(tender=tender).order_by("date", "sequence"))
    if not releases:
        raise Http404("No release has been kept for this tender yet")
    return releases


def release(release_id: str) -> KeptRelease:
    kept = KeptRelease.objects.filter(release_id=release_id).select_related("tender").first()
    if kept is None or kept.tender.status == Tender.Status.DRAFT:
        raise Http404("No such release")
    return kept


def release_url(base_url: str, kept: KeptRelease) -> str:
    return _url(base_url, reverse("ocds-release", args=[kept.ocid, kept.release_id]))


def _meta(tender: Tender, *, uri: str, base_url: str, now: dt.datetime) -> dict[str, Any]:
    return tender_ocds.package_meta(uri=uri, base_url=base_url, tender=tender, now=now)


def release_package(
    tender: Tender, releases: list[KeptRelease], *, uri: str, base_url: str
) -> dict[str, Any]:
    """A release package of kept releases, published when its latest release was kept."""
    published = max(r.kept_at for r in releases)
    return {
        **_meta(tender, uri=uri, base_url=base_url, now=published),
        "releases": [r.content for r in releases],
    }


def record_package(tender: Tender, *, base_url: str) -> dict[str, Any]:
    """The tender's record: every kept release linked by its URL, and the compiled release."""
    releases = releases_of(tender)
    ocid = releases[0].ocid
    return {
        **_meta(
            tender,
            uri=_url(base_url, reverse("ocds-record", args=[ocid])),
            base_url=base_url,
            now=max(r.kept_at for r in releases),
        ),
        "packages": [_url(base_url, reverse("ocds-releases", args=[ocid]))],
        "records": [
            {
                "ocid": ocid,
                "releases": [
                    {"url": release_url(base_url, r), "date": r.content["date"], "tag": r.tags}
                    for r in releases
                ],
                "compiledRelease": merge.compile_releases(r.content for r in releases),
            }
        ],
    }


def tenders_with_releases() -> list[Tender]:
    """Public tenders with at least one kept release, each with `ocid`, `release_count`, `last_release`."""
    tenders = list(
        public_tenders()
        .filter(ocds_releases__isnull=False)
        .annotate(release_count=Count("ocds_releases"), last_release=Max("ocds_releases__date"))
        .order_by("pk")
    )
    for tender in tenders:
        tender.ocid = tender_ocds.ocid(tender)
    return tenders
