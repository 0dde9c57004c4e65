"""API routes of recoveries, joined under /api/."""

from incentives.recovery import api
from repm_portal.routers import Router

router = Router()
router.register("recoveries", api.RecoveryViewSet, basename="recovery")

urlpatterns = router.urls
