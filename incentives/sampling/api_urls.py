"""API routes of samples, joined under /api/."""

from rest_framework.routers import SimpleRouter

from incentives.sampling import api

router = SimpleRouter()
router.register("samples", api.SampleViewSet, basename="sample")

urlpatterns = router.urls
