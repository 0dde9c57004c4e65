"""Pages of Sales claims."""

from django.urls import path

from incentives.claims import views

urlpatterns = [
    path("claims/", views.claim_list, name="claim_list"),
    path("claims/columns/", views.column_dictionary, name="claim_columns"),
    path("claims/template.csv", views.template_download, {"fmt": "csv"}, name="claim_template_csv"),
    path(
        "claims/template.xlsx", views.template_download, {"fmt": "xlsx"}, name="claim_template_xlsx"
    ),
    path(
        "claims/awards/<int:award_id>/<str:period>/upload/",
        views.upload_form,
        name="claim_upload_form",
    ),
    path("claims/uploads/<int:upload_id>/", views.upload_detail, name="claim_upload_detail"),
    path(
        "claims/uploads/<int:upload_id>/progress/",
        views.upload_progress,
        name="claim_upload_progress",
    ),
    path("claims/uploads/<int:upload_id>/rerun/", views.upload_rerun, name="claim_upload_rerun"),
    path(
        "claims/uploads/<int:upload_id>/errors.csv",
        views.upload_errors,
        {"fmt": "csv"},
        name="claim_upload_errors_csv",
    ),
    path(
        "claims/uploads/<int:upload_id>/errors.xlsx",
        views.upload_errors,
        {"fmt": "xlsx"},
        name="claim_upload_errors_xlsx",
    ),
    path(
        "claims/uploads/<int:upload_id>/annotated/",
        views.upload_annotated,
        name="claim_upload_annotated",
    ),
    path("claims/uploads/<int:upload_id>/file/", views.upload_file, name="claim_upload_file"),
    path("claims/<int:claim_id>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:claim_id>/lines.csv", views.claim_lines_csv, name="claim_lines_csv"),
    path(
        "claims/<int:claim_id>/documents/<int:document_id>/",
        views.claim_document,
        name="claim_document",
    ),
    path("claims/<int:claim_id>/<slug:action>/", views.claim_action, name="claim_action"),
]
