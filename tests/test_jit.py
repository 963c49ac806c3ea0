"""Cached kernels are dropped when any source file of the package changed since they were compiled:
numba itself compares a kernel only with its own file, so a kernel whose callee changed elsewhere
would run stale code. Kernels without reference counting return no array and call no kernel that
allocates (seamless._jit says why)."""

import os
import subprocess
import sys
from pathlib import Path

_SHOW = "import seamless._jit as j; print(j.sources_digest()); print(*j.cache_folders())"


def _import_jit(cache: Path) -> tuple[list[Path], str]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    result = subprocess.run([sys.executable, "-c", _SHOW], capture_output=True, text=True, env=env, check=True)
    digest, *folders = result.stdout.split()
    return [Path(folder) for folder in folders], digest


def test_kernels_cached_from_other_sources_are_dropped(tmp_path):
    folders, digest = _import_jit(tmp_path)
    sources = Path(__file__).resolve().parents[1] / "src" / "seamless"
    assert len(folders) == len({path.parent for path in sources.rglob("*.py")})  # the package, its subpackages
    assert all(folder.is_relative_to(tmp_path) for folder in folders)
    for folder in folders:
        assert (folder / "seamless-sources.sha256").read_text() == digest

    kept = [folder / "engine.simulate_chunk-1.py311.nbi" for folder in folders]
    for path in kept:
        path.write_bytes(b"compiled from these sources")
    _import_jit(tmp_path)
    assert all(path.exists() for path in kept)

    stamp = folders[-1] / "seamless-sources.sha256"  # one folder's kernels compiled from other sources
    stamp.write_text("digest of other sources")
    _import_jit(tmp_path)
    assert [path.exists() for path in kept] == [True] * (len(folders) - 1) + [False]
    assert stamp.read_text() == digest


_KERNEL_TYPES = """
import importlib, pkgutil, sys
import numpy as np
import seamless
from numba.core import types
from numba.core.registry import CPUDispatcher
from seamless.config import load_study
from seamless.sim.engine import run_chunk
from seamless.sim.kernel_design import kernel_design

for module in pkgutil.iter_modules(seamless.__path__):
    importlib.import_module(f"seamless.{module.name}")
for scenario in load_study(sys.argv[1]).scenarios[:1]:
    run_chunk(kernel_design(scenario.design), np.random.SeedSequence(0), 3)
for name, module in sorted(sys.modules.items()):
    for attribute, dispatcher in vars(module).items():
        if isinstance(dispatcher, CPUDispatcher) and dispatcher.__module__ == name:
            counted = dispatcher.targetoptions.get("_nrt", True)
            for result in dispatcher.overloads.values():
                returned = result.signature.return_type
                parts = returned.types if isinstance(returned, types.BaseTuple) else (returned,)
                arrays = any(isinstance(part, types.Array) for part in parts)
                print(f"{name}.{attribute}", "counted" if counted else "uncounted", "array" if arrays else "-")
"""


def test_uncounted_kernels_return_no_array_and_call_no_allocating_kernel(tmp_path):
    # Compiled afresh (a fresh cache), so that every kernel the simulation calls is typed here.
    config = Path(__file__).resolve().parents[1] / "configs" / "successor2.toml"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_OPT": "0"}
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", _KERNEL_TYPES, str(config)], capture_output=True,
                            text=True, env=env, check=True)
    compiled = [line.split() for line in result.stdout.splitlines()]
    names = {name for name, _, _ in compiled}
    assert {"seamless.sim.engine.simulate_chunk", "seamless.sim.cohort_logrank.cohort_logrank",
            "seamless.stats.dunnett.dunnett_set_p"} <= names
    assert [name for name, counting, arrays in compiled if counting == "uncounted" and arrays == "array"] == []
    # Only the simulation ran: a counted (allocating) kernel compiled here was called from a kernel.
    assert [name for name, counting, _ in compiled if counting == "counted"] == []
