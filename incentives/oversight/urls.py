"""Pages of oversight: the auditors' exports."""

from django.urls import path

from incentives.oversight import views

urlpatterns = [
    path("oversight/", views.home, name="oversight_home"),
    path("oversight/<str:kind>.csv", views.export_csv, name="oversight_export_csv"),
    path("oversight/<str:kind>/runs/", views.run_request, name="oversight_run_request"),
    path(
        "oversight/runs/<int:run_id>/progress/", views.run_progress, name="oversight_run_progress"
    ),
    path(
        "oversight/runs/<int:run_id>/download/", views.run_download, name="oversight_run_download"
    ),
]
