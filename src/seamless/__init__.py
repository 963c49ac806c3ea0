"""Patient-level simulation of adaptive seamless (phase 2/3) trial designs."""

__version__ = "0.3.0"
