"""Pages of payment runs."""

from django.urls import path

from incentives.payments import views

urlpatterns = [
    path("payments/runs/", views.run_list, name="payment_run_list"),
    path("payments/runs/new/", views.run_prepare, name="payment_run_prepare"),
    path("payments/failed/", views.failed_list, name="payment_failed_list"),
    path("payments/runs/<int:run_id>/", views.run_detail, name="payment_run_detail"),
    path("payments/runs/<int:run_id>/release/", views.run_release, name="payment_run_release"),
    path("payments/runs/<int:run_id>/cancel/", views.run_cancel, name="payment_run_cancel"),
    path("payments/runs/<int:run_id>/return/", views.run_return, name="payment_run_return"),
    path(
        "payments/return-files/<int:file_id>/",
        views.return_file_download,
        name="payment_return_file",
    ),
    path(
        "payments/runs/<int:run_id>/advice.<str:file_format>",
        views.run_advice,
        name="payment_run_advice",
    ),
]
