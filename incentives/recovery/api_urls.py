"""API routes of recoveries, joined under /api/."""

from rest_framework.routers import SimpleRouter

from incentives.recovery import api

router = SimpleRouter()
router.register("recoveries", api.RecoveryViewSet, basename="recovery")

urlpatterns = router.urls
