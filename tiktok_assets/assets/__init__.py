"""The API assets, one per endpoint, grouped by entity."""

from tiktok_assets.assets.creators import creator_products, creator_total
from tiktok_assets.assets.products import product_detail, product_history, product_total
from tiktok_assets.assets.shops import shop_detail, shop_products, shop_total
from tiktok_assets.assets.videos import video_detail, video_metrics

api_assets = [
    shop_detail,
    shop_total,
    shop_products,
    product_detail,
    product_total,
    product_history,
    creator_total,
    creator_products,
    video_detail,
    video_metrics,
]

__all__ = ["api_assets"]
