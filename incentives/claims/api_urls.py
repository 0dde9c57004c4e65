"""API routes of Sales claims, joined under /api/."""

from rest_framework.routers import SimpleRouter

from incentives.claims import api

router = SimpleRouter()
router.register("claim-uploads", api.ClaimUploadViewSet, basename="claim-upload")
router.register("sales-claims", api.ClaimViewSet, basename="sales-claim")
router.register("claim-periods", api.ClaimPeriodViewSet, basename="claim-period")

urlpatterns = router.urls
