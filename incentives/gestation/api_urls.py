"""API routes of Gestation, joined under /api/ (a SimpleRouter: the core router owns the API root)."""

from incentives.gestation import api
from repm_portal.routers import Router

router = Router()
router.register("plants", api.PlantViewSet, basename="plant")
router.register("milestones", api.MilestoneViewSet, basename="milestone")

urlpatterns = router.urls
