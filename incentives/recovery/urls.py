"""Pages of recoveries."""

from django.urls import path

from incentives.recovery import views

urlpatterns = [
    path("recoveries/", views.recovery_list, name="recovery_list"),
    path("recoveries/<int:recovery_id>/", views.recovery_detail, name="recovery_detail"),
    path(
        "recoveries/<int:recovery_id>/<slug:action>/",
        views.recovery_action,
        name="recovery_action",
    ),
]
