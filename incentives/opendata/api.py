"""Public OCDS API: every kept release of a tender, each at its own URL, and the tender's record."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from incentives.opendata import selectors


def _base(request: Request) -> str:
    return request.build_absolute_uri("/")


@extend_schema(
    responses=OpenApiResponse(description="The tenders with an OCDS record, with their URLs"),
    description="Every public tender's ocid and the URLs of its release package and record.",
)
@api_view(["GET"])
@permission_classes([AllowAny])
def index(request: Request) -> Response:
    base = _base(request)
    rows = []
    for tender in selectors.tenders_with_releases():
        ocid = tender.ocid
        rows.append(
            {
                "ocid": ocid,
                "title": tender.title,
                "releases": tender.release_count,
                "lastRelease": selectors.tender_ocds._iso(tender.last_release),
                "releasePackage": request.build_absolute_uri(reverse("ocds-releases", args=[ocid])),
                "recordPackage": request.build_absolute_uri(reverse("ocds-record", args=[ocid])),
            }
        )
    return Response({"publisher": base, "records": rows})


@extend_schema(
    operation_id="ocds_releases_list",
    responses=OpenApiResponse(description="OCDS 1.1 release package: every release kept"),
    description="Every release of the tender as published, oldest first; public, no login.",
)
@api_view(["GET"])
@permission_classes([AllowAny])
def releases(request: Request, ocid: str) -> Response:
    tender = selectors.tender_of_ocid(ocid)
    kept = selectors.releases_of(tender)
    uri = request.build_absolute_uri(reverse("ocds-releases", args=[ocid]))
    return Response(selectors.release_package(tender, kept, uri=uri, base_url=_base(request)))


@extend_schema(
    operation_id="ocds_release_retrieve",
    responses=OpenApiResponse(description="OCDS 1.1 release package holding one release"),
    description="One kept release at its stable URL, exactly as it was published.",
)
@api_view(["GET"])
@permission_classes([AllowAny])
def release(request: Request, ocid: str, release_id: str) -> Response:
    tender = selectors.tender_of_ocid(ocid)
    kept = selectors.release(release_id)
    if kept.tender_id != tender.pk:
        raise Http404("No such release")
    uri = request.build_absolute_uri(reverse("ocds-release", args=[ocid, release_id]))
    return Response(selectors.release_package(tender, [kept], uri=uri, base_url=_base(request)))


@extend_schema(
    responses=OpenApiResponse(description="OCDS 1.1 record package with the compiled release"),
    description="The tender's record: its releases linked by URL and the compiled release.",
)
@api_view(["GET"])
@permission_classes([AllowAny])
def record(request: Request, ocid: str) -> Response:
    tender = selectors.tender_of_ocid(ocid)
    return Response(selectors.record_package(tender, base_url=_base(request)))
