"""REPM Portal core: scheme rule sets, audit trail, money and financial-year helpers."""

from .celery import app as celery_app

__all__ = ("celery_app",)
