"""tiktok-shop-assets: TikTok Shop market data as partitioned Dagster assets."""
