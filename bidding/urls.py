"""Pages of bidding: tenders, bids and receipts, openings, evaluation, statement, awards, public pages."""

from django.urls import path

from bidding import guarantee_views, key_views, views

urlpatterns = [
    path("tenders/", views.tender_list, name="tender_list"),
    path("tenders/new/", views.tender_create, name="tender_create"),
    path("tenders/<int:tender_id>/", views.tender_detail, name="tender_detail"),
    path("tenders/<int:tender_id>/publish/", views.tender_publish, name="tender_publish"),
    path("tenders/<int:tender_id>/cancel/", views.tender_cancel, name="tender_cancel"),
    path(
        "tenders/<int:tender_id>/documents/new/",
        views.tender_document_add,
        name="tender_document_add",
    ),
    path(
        "tenders/<int:tender_id>/documents/<int:document_id>/",
        views.tender_document,
        name="tender_document",
    ),
    path("tenders/<int:tender_id>/corrigenda/new/", views.corrigendum_new, name="corrigendum_new"),
    path("tenders/<int:tender_id>/queries/", views.query_ask, name="query_ask"),
    path("queries/<int:query_id>/answer/", views.query_answer, name="query_answer"),
    path("tenders/<int:tender_id>/bid/", views.bid_form, name="bid_form"),
    path("bids/<int:bid_id>/", views.bid_detail, name="bid_detail"),
    path("bids/<int:bid_id>/withdraw/", views.bid_withdraw, name="bid_withdraw"),
    path("bids/<int:bid_id>/documents/<int:document_id>/", views.bid_document, name="bid_document"),
    path("receipts/<int:version_id>/", views.receipt_page, name="receipt_page"),
    path("receipts/<int:version_id>/receipt.json", views.receipt_json, name="receipt_json"),
    path("receipts/<int:version_id>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("tenders/<int:tender_id>/opening/", views.opening, name="opening"),
    path("opening-key/", key_views.opening_key, name="opening_key"),
    path("tenders/<int:tender_id>/committee/", key_views.committee_change, name="committee_change"),
    path("tenders/<int:tender_id>/evaluation/", views.evaluation_list, name="evaluation_list"),
    path("bids/<int:bid_id>/evaluate/", views.evaluation_form, name="evaluation_form"),
    path(
        "evaluations/<int:evaluation_id>/decide/", views.evaluation_decide, name="evaluation_decide"
    ),
    path("tenders/<int:tender_id>/statement/", views.statement, name="statement"),
    path("tenders/<int:tender_id>/statement.csv", views.statement_csv, name="statement_csv"),
    path("tenders/<int:tender_id>/statement.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("tenders/<int:tender_id>/award/", views.tender_award, name="tender_award"),
    path("awards/", views.award_list, name="award_list"),
    path("awards/<int:award_id>/", views.award_detail, name="award_detail"),
    path(
        "awards/<int:award_id>/letter/status/",
        views.award_letter_status,
        name="award_letter_status",
    ),
    path("awards/<int:award_id>/letter.pdf", views.award_letter_pdf, name="award_letter_pdf"),
    path("awards/<int:award_id>/guarantee/", guarantee_views.pbg_form, name="pbg_form"),
    path("awards/<int:award_id>/guarantee/extend/", guarantee_views.pbg_extend, name="pbg_extend"),
    path(
        "awards/<int:award_id>/guarantee/release/", guarantee_views.pbg_release, name="pbg_release"
    ),
    path("awards/<int:award_id>/guarantee/invoke/", guarantee_views.pbg_invoke, name="pbg_invoke"),
    path(
        "awards/<int:award_id>/guarantee/proposals/<int:closure_id>/confirm/",
        guarantee_views.pbg_closure_confirm,
        name="pbg_closure_confirm",
    ),
    path(
        "awards/<int:award_id>/guarantee/proposals/<int:closure_id>/cancel/",
        guarantee_views.pbg_closure_cancel,
        name="pbg_closure_cancel",
    ),
    path("public/tenders/", views.public_tender_list, name="public_tender_list"),
    path("public/tenders/<int:tender_id>/", views.public_tender, name="public_tender"),
]
