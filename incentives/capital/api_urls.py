"""API routes of Capital subsidy, joined under /api/."""

from rest_framework.routers import SimpleRouter

from incentives.capital import api

router = SimpleRouter()
router.register("capital-claims", api.CapitalClaimViewSet, basename="capital-claim")

urlpatterns = router.urls
