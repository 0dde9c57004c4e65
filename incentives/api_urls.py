"""API routes of the money core, joined under /api/."""

from incentives import api
from repm_portal.routers import Router

router = Router()
router.register("sanction-letters", api.SanctionLetterViewSet, basename="sanction-letter")
router.register("payments", api.PaymentViewSet, basename="payment")
router.register("ledger-entries", api.LedgerEntryViewSet, basename="ledger-entry")

urlpatterns = router.urls
