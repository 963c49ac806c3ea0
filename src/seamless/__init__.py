"""Patient-level simulation of adaptive seamless (phase 2/3) trial designs.

    import seamless as sl
    study = sl.load("configs/successor2.toml")
    result = sl.simulate(study, trials=2000)
    result.summary()

The names below are imported when first used, so that ``import seamless`` stays light and
numba is configured (NUMBA_CACHE_DIR) before it is imported.
"""

import importlib

__version__ = "0.6.0"

_EXPORTS = {
    "ConfigError": "seamless._schema",
    "Design": "seamless.design",
    "Scenario": "seamless.config", "Study": "seamless.config",
    "SimulationResult": "seamless.api", "load": "seamless.api", "simulate": "seamless.api",
    "sweep": "seamless.api", "open": "seamless.api", "trial_patients": "seamless.api", "analyze": "seamless.api",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'seamless' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
