"""Pages of the scheme monitor."""

from django.urls import path

from incentives.monitor import views

urlpatterns = [
    path("monitor/", views.monitor, name="monitor"),
    path("monitor/tables/<slug:slug>.csv", views.table_csv, name="monitor_csv"),
    path("monitor/summary/<str:fy>.pdf", views.summary_pdf, name="monitor_summary_pdf"),
    path("monitor/public/", views.public, name="monitor_public"),
    path(
        "monitor/public/tables/<slug:slug>.csv",
        views.public_table_csv,
        name="monitor_public_csv",
    ),
]
