"""API routes of Open data, joined under /api/."""

from django.urls import path

from incentives.opendata import api

urlpatterns = [
    path("ocds/", api.index, name="ocds-index"),
    path("ocds/<str:ocid>/releases/", api.releases, name="ocds-releases"),
    path("ocds/<str:ocid>/releases/<str:release_id>/", api.release, name="ocds-release"),
    path("ocds/<str:ocid>/record/", api.record, name="ocds-record"),
]
