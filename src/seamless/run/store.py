"""Completed chunks of an unfinished run, kept in the output folder so the run can resume.

Layout: ``<out>/chunks/manifest.json`` (what run the chunks belong to) and
``<out>/chunks/<scenario key>/<chunk index>.npz``. Every file is written to a temporary name
and renamed into place, so a killed run leaves only whole chunks. A folder holding chunks of a
different run (config text, seed, trials, chunk size or package version) is refused, never mixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zlib
from pathlib import Path

import numpy as np

from seamless.sim.engine import TrialOutputs

__all__ = ["ChunkStore", "StoreMismatch"]


class StoreMismatch(Exception):
    """The output folder holds chunks of a different run; the message is one line."""


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class ChunkStore:
    def __init__(self, folder: Path, config_text: str, seed: int, trials: int, chunk_trials: int, version: str):
        self.root = Path(folder) / "chunks"
        self.manifest = {
            "config_sha256": hashlib.sha256(config_text.encode()).hexdigest(),
            "seed": seed, "trials": trials, "chunk_trials": chunk_trials, "seamless_version": version,
        }

    def open(self, fresh: bool = False) -> int:
        """Prepare the folder; returns how many completed chunks it already holds."""
        path = self.root / "manifest.json"
        if fresh:
            self.clear()
        if path.exists():
            found = json.loads(path.read_text())
            if found != self.manifest:
                differ = ", ".join(k for k in self.manifest if found.get(k) != self.manifest[k])
                raise StoreMismatch(f"{self.root.parent} holds unfinished chunks of another run (different "
                                    f"{differ}); use --fresh to discard them, or another --out folder")
            return sum(1 for _ in self.root.glob("*/*.npz"))
        self.root.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, lambda h: h.write(json.dumps(self.manifest, indent=1).encode()))
        return 0

    def _path(self, scenario: str, index: int) -> Path:
        return self.root / f"{zlib.crc32(scenario.encode()):08x}" / f"{index:06d}.npz"

    def has(self, scenario: str, index: int) -> bool:
        return self._path(scenario, index).exists()

    def save(self, scenario: str, index: int, outputs: TrialOutputs) -> None:
        """One record per trial (a structured array): one archive member instead of one per field,
        which makes saving a chunk about three times faster."""
        path = self._path(scenario, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = outputs._asdict()
        trials = np.empty(outputs.reject.size, [(name, array.dtype, array.shape[1:]) for name, array in fields.items()])
        for name, array in fields.items():
            trials[name] = array
        _atomic_write(path, lambda h: np.savez(h, scenario=np.array(scenario), trials=trials))

    def load(self, scenario: str, index: int) -> TrialOutputs:
        with np.load(self._path(scenario, index)) as data:
            if str(data["scenario"]) != scenario:
                raise StoreMismatch(f"chunk file {self._path(scenario, index)} belongs to scenario {data['scenario']}")
            trials = data["trials"]
        return TrialOutputs(*(np.ascontiguousarray(trials[name]) for name in TrialOutputs._fields))

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
