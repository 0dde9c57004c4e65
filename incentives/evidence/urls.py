"""Pages of the evidence bundles."""

from django.urls import path

from incentives.evidence import views

urlpatterns = [
    path("audit/evidence/", views.bundles, name="evidence_bundles"),
    path("audit/evidence/<int:run_id>/progress/", views.progress, name="evidence_progress"),
    path("audit/evidence/<int:run_id>/download/", views.download, name="evidence_download"),
]
