"""API routes of Gestation, joined under /api/ (a SimpleRouter: the core router owns the API root)."""

from rest_framework.routers import SimpleRouter

from incentives.gestation import api

router = SimpleRouter()
router.register("plants", api.PlantViewSet, basename="plant")
router.register("milestones", api.MilestoneViewSet, basename="milestone")

urlpatterns = router.urls
