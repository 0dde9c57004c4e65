"""Pages of the sales-linked incentive."""

from django.urls import path

from incentives.sli import views

urlpatterns = [
    path("sli/", views.home, name="sli_home"),
    path("sli/claims/<int:claim_id>/working/", views.claim_working, name="sli_claim_working"),
    path("sli/queue/", views.queue, name="sli_queue"),
    path("sli/queue/preview/", views.preview_request, name="sli_preview_request"),
    path(
        "sli/preview-runs/<int:run_id>/progress/",
        views.preview_progress,
        name="sli_preview_progress",
    ),
    path("sli/pool/", views.pool, name="sli_pool"),
    path("sli/true-ups/", views.true_up_list, name="sli_true_up_list"),
    path("sli/true-ups/<int:true_up_id>/", views.true_up_detail, name="sli_true_up_detail"),
    path(
        "sli/true-ups/<int:true_up_id>/approve/",
        views.true_up_approve,
        name="sli_true_up_approve",
    ),
]
