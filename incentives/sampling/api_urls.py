"""API routes of samples, joined under /api/."""

from incentives.sampling import api
from repm_portal.routers import Router

router = Router()
router.register("samples", api.SampleViewSet, basename="sample")

urlpatterns = router.urls
