"""API routes of the money core, joined under /api/."""

from rest_framework.routers import SimpleRouter

from incentives import api

router = SimpleRouter()
router.register("sanction-letters", api.SanctionLetterViewSet, basename="sanction-letter")
router.register("payments", api.PaymentViewSet, basename="payment")
router.register("ledger-entries", api.LedgerEntryViewSet, basename="ledger-entry")

urlpatterns = router.urls
