"""Cached kernels are dropped when any source file of the package changed since they were compiled:
numba itself compares a kernel only with its own file, so a kernel whose callee changed elsewhere
would run stale code."""

import os
import subprocess
import sys
from pathlib import Path

_SHOW = "import seamless._jit as j; print(j._cache_folder()); print(j._sources_digest())"


def _import_jit(cache: Path) -> tuple[Path, str]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    result = subprocess.run([sys.executable, "-c", _SHOW], capture_output=True, text=True, env=env, check=True)
    folder, digest = result.stdout.split()
    return Path(folder), digest


def test_kernels_cached_from_other_sources_are_dropped(tmp_path):
    folder, digest = _import_jit(tmp_path)
    assert folder.is_relative_to(tmp_path)
    stamp = folder / "seamless-sources.sha256"
    assert stamp.read_text() == digest

    kept = folder / "engine.simulate_chunk-1.py311.nbi"
    kept.write_bytes(b"compiled from these sources")
    _import_jit(tmp_path)
    assert kept.exists()

    stamp.write_text("digest of other sources")
    _import_jit(tmp_path)
    assert not kept.exists()
    assert stamp.read_text() == digest
