"""API routes of payment runs, joined under /api/."""

from incentives.payments import api
from repm_portal.routers import Router

router = Router()
router.register("payment-runs", api.PaymentRunViewSet, basename="payment-run")

urlpatterns = router.urls
