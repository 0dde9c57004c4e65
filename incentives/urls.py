"""Pages of the money core."""

from django.urls import path

from incentives import views

urlpatterns = [
    path("sanctions/", views.sanction_list, name="sanction_list"),
    path("sanctions/<int:letter_id>/", views.sanction_detail, name="sanction_detail"),
    path("sanctions/<int:letter_id>/status/", views.sanction_status, name="sanction_status"),
    path(
        "sanctions/<int:letter_id>/letter.pdf",
        views.sanction_letter_pdf,
        name="sanction_letter_pdf",
    ),
    path("sanctions/<int:letter_id>/retry/", views.sanction_retry, name="sanction_retry"),
    path("ledger/", views.ledger_list, name="ledger_list"),
    path("ledger/export.csv", views.ledger_export, name="ledger_export"),
    path("verify/letters/", views.letter_check, name="letter_check"),
    path("verify/letters/t/<str:token>/", views.letter_verify, name="letter_verify"),
    # A number alone (as on letters issued before tokens) gets the upload check, nothing more.
    path("verify/letters/<path:number>/", views.letter_check, name="letter_check_number"),
]
