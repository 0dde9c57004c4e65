"""Pages of Open data: the datasets' index and each dataset as CSV."""

from django.urls import path

from incentives.opendata import views

urlpatterns = [
    path("open-data/", views.index, name="open_data"),
    path("open-data/<slug:slug>.csv", views.dataset_csv, name="open_data_csv"),
]
