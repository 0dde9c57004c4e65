"""URL map: the one file that joins the apps."""

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)

from beneficiaries import api as beneficiaries_api
from beneficiaries import views as beneficiaries_views
from repm_portal import api as core_api
from repm_portal import auth_api, site_pages
from repm_portal import views as core_views
from repm_portal.routers import RootRouter

router = RootRouter()
router.register("rule-sets", core_api.RuleSetViewSet, basename="rule-set")
router.register("audit-events", core_api.AuditEventViewSet, basename="audit-event")
router.register("firms", beneficiaries_api.FirmViewSet, basename="firm")
router.register("consortia", beneficiaries_api.ConsortiumViewSet, basename="consortium")

api_patterns: list[URLPattern | URLResolver] = [
    path("", include("bidding.api_urls")),
    path("", include("incentives.api_urls")),
    path("", include("incentives.gestation.api_urls")),
    path("", include("incentives.capital.api_urls")),
    path("", include("incentives.claims.api_urls")),
    path("", include("incentives.recovery.api_urls")),
    path("", include("incentives.sli.api_urls")),
    path("", include("incentives.sampling.api_urls")),
    path("", include("incentives.payments.api_urls")),
    path("", include("incentives.opendata.api_urls")),
    path("auth/token/", auth_api.TokenLoginView.as_view(), name="api-token"),
    path("auth/logout/", auth_api.TokenLogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", auth_api.TokenLogoutAllView.as_view(), name="api-logout-all"),
    path("me/", core_api.me, name="api-me"),
    path("register/", beneficiaries_api.register_firm, name="api-register"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The operations as a plain, accessible page; Swagger UI beside it. The split view serves
    # Swagger UI's start-up script as a file (?script), not inline, for the CSP; its page keeps
    # one small <style> block, hence 'unsafe-inline' styles there only.
    path("docs/", site_pages.api_docs, name="api-docs"),
    path(
        "docs/swagger/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs-swagger",
    ),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    # The language switch posts here (set_language), which keeps the choice in the language cookie.
    # Without CSRF: a page cached for every anonymous visitor carries no one's token, and a forged
    # post could only change the reader's language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("accessibility/", site_pages.accessibility, name="accessibility"),
    path("help/", site_pages.help_page, name="help"),
    path("contact/", site_pages.contact, name="contact"),
    path("terms/", site_pages.terms, name="terms"),
    path("privacy/", site_pages.privacy, name="privacy"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", core_views.dashboard, name="dashboard"),
    path("scheme/rules/", core_views.rule_set_list, name="rule_set_list"),
    path("scheme/rules/compare/", core_views.rule_set_compare, name="rule_set_compare"),
    path("scheme/rules/amend/", core_views.rule_set_amend, name="rule_set_amend"),
    path("scheme/rules/v<int:version>/", core_views.rule_set_detail, name="rule_set_detail"),
    path("audit/", core_views.audit_list, name="audit_list"),
    path("audit/export.csv", core_views.audit_export, name="audit_export"),
    path("audit/verify/", core_views.audit_verify, name="audit_verify"),
    path(
        "transparency/checkpoints/", core_views.transparency_checkpoints, name="audit_checkpoints"
    ),
    path("register/", beneficiaries_views.register, name="register"),
    path("firms/", beneficiaries_views.firm_list, name="firm_list"),
    path("firms/mine/", beneficiaries_views.my_firm, name="my_firm"),
    path("firms/<int:firm_id>/", beneficiaries_views.firm_detail, name="firm_detail"),
    path(
        "firms/<int:firm_id>/bank-accounts/new/",
        beneficiaries_views.bank_account_add,
        name="bank_account_add",
    ),
    path(
        "firms/<int:firm_id>/bank-accounts/<int:account_id>/verify/",
        beneficiaries_views.bank_account_verify,
        name="bank_account_verify",
    ),
    path(
        "firms/<int:firm_id>/bank-accounts/<int:account_id>/evidence/",
        beneficiaries_views.bank_account_evidence,
        name="bank_account_evidence",
    ),
    path("consortia/", beneficiaries_views.consortium_list, name="consortium_list"),
    path("consortia/new/", beneficiaries_views.consortium_new, name="consortium_new"),
    path(
        "consortia/<int:consortium_id>/respond/",
        beneficiaries_views.consortium_respond,
        name="consortium_respond",
    ),
    path(
        "consortia/<int:consortium_id>/withdraw/",
        beneficiaries_views.consortium_withdraw,
        name="consortium_withdraw",
    ),
    path("people/", beneficiaries_views.user_list, name="user_list"),
    path("", include("bidding.urls")),
    path("", include("incentives.urls")),
    path("", include("incentives.gestation.urls")),
    path("", include("incentives.capital.urls")),
    path("", include("incentives.claims.urls")),
    path("", include("incentives.recovery.urls")),
    path("", include("incentives.sli.urls")),
    path("", include("incentives.evidence.urls")),
    path("", include("incentives.sampling.urls")),
    path("", include("incentives.monitor.urls")),
    path("", include("incentives.payments.urls")),
    path("", include("incentives.forecast.urls")),
    path("", include("incentives.opendata.urls")),
    path("", include("incentives.oversight.urls")),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
]

handler403 = "repm_portal.views.permission_denied"
