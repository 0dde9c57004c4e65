"""API routes of the sales-linked incentive, joined under /api/."""

from incentives.sli import api
from repm_portal.routers import Router

router = Router()
router.register("sli/computations", api.SliComputationViewSet, basename="sli-computation")
router.register("sli/true-ups", api.SliTrueUpViewSet, basename="sli-true-up")
router.register("sli/claims", api.SliClaimPreviewViewSet, basename="sli-claim")

urlpatterns = router.urls
