"""Pages of post-payment sampling."""

from django.urls import path

from incentives.sampling import views

urlpatterns = [
    path("samples/", views.sample_list, name="sample_list"),
    path("samples/new/", views.sample_draw, name="sample_draw"),
    path("samples/<int:sample_id>/", views.sample_detail, name="sample_detail"),
    path("samples/claims/<int:claim_id>/", views.claim_detail, name="sample_claim"),
    path(
        "samples/findings/<int:finding_id>/evidence/",
        views.finding_evidence,
        name="finding_evidence",
    ),
    path(
        "samples/findings/<int:finding_id>/recovery/",
        views.finding_open_recovery,
        name="finding_open_recovery",
    ),
]
