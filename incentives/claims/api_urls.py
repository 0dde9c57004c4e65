"""API routes of Sales claims, joined under /api/."""

from incentives.claims import api
from repm_portal.routers import Router

router = Router()
router.register("claim-uploads", api.ClaimUploadViewSet, basename="claim-upload")
router.register("sales-claims", api.ClaimViewSet, basename="sales-claim")
router.register("claim-periods", api.ClaimPeriodViewSet, basename="claim-period")

urlpatterns = router.urls
