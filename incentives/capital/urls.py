"""Pages of Capital subsidy."""

from django.urls import path

from incentives.capital import views

urlpatterns = [
    path("capital/", views.claim_list, name="capital_claim_list"),
    path("capital/awards/<int:award_id>/upload/", views.upload, name="capital_upload"),
    path("capital/claims/<int:claim_id>/", views.claim_detail, name="capital_claim_detail"),
    path(
        "capital/claims/<int:claim_id>/<slug:action>/",
        views.claim_action,
        name="capital_claim_action",
    ),
    path("capital/claims/<int:claim_id>/lines.csv", views.lines_csv, name="capital_lines_csv"),
    path(
        "capital/claims/<int:claim_id>/documents/<int:document_id>/",
        views.document,
        name="capital_document",
    ),
    path("capital/template/", views.ledger_template, name="capital_template"),
    path("capital/template.csv", views.ledger_template_csv, name="capital_template_csv"),
    path("capital/template.xlsx", views.ledger_template_xlsx, name="capital_template_xlsx"),
]
