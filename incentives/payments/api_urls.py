"""API routes of payment runs, joined under /api/."""

from rest_framework.routers import SimpleRouter

from incentives.payments import api

router = SimpleRouter()
router.register("payment-runs", api.PaymentRunViewSet, basename="payment-run")

urlpatterns = router.urls
