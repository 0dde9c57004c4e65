"""API routes of bidding, joined under /api/ (a SimpleRouter: the core router owns the API root)."""

from bidding import api
from repm_portal.routers import Router

router = Router()
router.register("tenders", api.TenderViewSet, basename="tender")
router.register("bids", api.BidViewSet, basename="bid")
router.register("receipts", api.ReceiptViewSet, basename="receipt")
router.register("awards", api.AwardViewSet, basename="award")
router.register("guarantees", api.GuaranteeViewSet, basename="guarantee")

urlpatterns = router.urls
