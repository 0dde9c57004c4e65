"""The page language: English or Hindi, from the language switch's cookie or Accept-Language."""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

# The API (JSON, OCDS, its schema and docs) is a documented interface: it stays in English,
# whatever language the caller's browser or cookie asks for.
API_PREFIX = "/api/"


class PageLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware for the pages; the default language for the API."""

    def process_request(self, request):
        if request.path_info.startswith(API_PREFIX):
            translation.activate(translation.get_supported_language_variant(settings.LANGUAGE_CODE))
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)
