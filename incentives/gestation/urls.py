"""Pages of Gestation."""

from django.urls import path

from incentives.gestation import views

urlpatterns = [
    path("gestation/", views.timeline, name="gestation_timeline"),
    path("gestation/open/", views.open_gestation, name="gestation_open"),
    path("gestation/plants/<int:plant_id>/", views.plant_detail, name="plant_detail"),
    path("gestation/plants/<int:plant_id>/penalty/", views.plant_penalty, name="plant_penalty"),
    path(
        "gestation/milestones/<int:milestone_id>/report/",
        views.milestone_submit,
        name="milestone_submit",
    ),
    path(
        "gestation/milestones/<int:milestone_id>/verify/",
        views.milestone_verify,
        name="milestone_verify",
    ),
    path(
        "gestation/milestones/<int:milestone_id>/return/",
        views.milestone_return,
        name="milestone_return",
    ),
    path(
        "gestation/milestones/<int:milestone_id>/accept/",
        views.milestone_accept,
        name="milestone_accept",
    ),
    path("gestation/evidence/<int:evidence_id>/", views.evidence_file, name="evidence_file"),
]
