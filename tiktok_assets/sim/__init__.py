"""A simulator of the vendor's TikTok Shop API: a deterministic world (`World`, configured by
`SimConfig`) behind a Starlette app (`tiktok_assets.sim.app.create_app`, served by
`tiktok_assets.sim.server`). The app and its server need the `sim` extra (starlette, uvicorn).
"""

from tiktok_assets.sim.config import SimConfig
from tiktok_assets.sim.world import World

__all__ = ["SimConfig", "World"]
