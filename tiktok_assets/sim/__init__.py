"""A simulator of the vendor's TikTok Shop API: a deterministic world behind a Starlette app."""

from tiktok_assets.sim.app import create_app
from tiktok_assets.sim.config import SimConfig
from tiktok_assets.sim.world import World

__all__ = ["SimConfig", "World", "create_app"]
