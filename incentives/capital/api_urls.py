"""API routes of Capital subsidy, joined under /api/."""

from incentives.capital import api
from repm_portal.routers import Router

router = Router()
router.register("capital-claims", api.CapitalClaimViewSet, basename="capital-claim")

urlpatterns = router.urls
