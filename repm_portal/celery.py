"""The Celery application: long work (ingestion, computation, letters) runs here, off the request."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repm_portal.settings.base")

app = Celery("repm_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
