"""Pages of the budget forecast."""

from django.urls import path

from incentives.forecast import views

urlpatterns = [
    path("forecast/", views.forecast_page, name="forecast"),
    path("forecast/export.csv", views.forecast_csv, name="forecast_csv"),
]
