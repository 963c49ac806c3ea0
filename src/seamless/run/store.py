"""The output folder of a run: one run at a time, files written whole, completed chunks kept to resume.

- **One run per folder.** `RunLock` holds an OS lock (``flock``) on the output folder for the whole
  run; a second run on the same folder is refused at once, never mixed in.
- **Files whole or not at all.** `write_atomically` writes to a temporary file created exclusively
  (``mkstemp``: O_EXCL, an unpredictable name, never through a planted symlink), flushes it to disk
  (``fsync``), renames it into place and flushes the folder, so a kill or a power cut leaves the
  old file or the new one. `remove_stale_temporaries` clears what a killed run left.
- **Resumable.** `ChunkStore` keeps each completed chunk as ``<out>/chunks/<scenario key>/<index>.npz``
  beside ``manifest.json``, the run's identity: config text, seed, trials, chunk size, package
  version and a digest of the package's sources (a changed engine never resumes old chunks).
  Every chunk names its run, scenario and index and carries a checksum of its trials; a chunk that
  is truncated, corrupt, of another run or in the wrong place is discarded and simulated again.
  A ``chunks`` folder that the store did not make is refused, and only what it wrote is deleted.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import zlib
from pathlib import Path

import numpy as np

from seamless._jit import sources_digest
from seamless.sim.engine import TrialOutputs

__all__ = ["ChunkStore", "StoreMismatch", "FolderBusy", "RunLock", "write_atomically", "staging_folder",
           "publish", "remove_stale_temporaries"]

MANIFEST, CHUNKS = "manifest.json", "chunks"
_TEMPORARY = ".tmp"  # suffix of every temporary file and staging folder the package makes
_STAGING_PREFIX = ".seamless-staging-"
_CHUNK_DIR, _CHUNK_FILE = re.compile(r"[0-9a-f]{8}"), re.compile(r"\d{6}\.npz")


class StoreMismatch(Exception):
    """The output folder holds something of another run, or not of ours; the message is one line."""


class FolderBusy(Exception):
    """Another run is using the output folder; the message is one line."""


def _file_mode() -> int:
    """The mode a plainly created file gets (0o666 less the umask), for files made by ``mkstemp`` (0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_MODE = _file_mode()


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot sync a folder; the rename still holds
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(path: Path, write) -> None:
    """``write(handle)`` into a new temporary file beside ``path``, synced, then renamed to ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TEMPORARY)
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _sync_folder(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def staging_folder(folder: Path) -> Path:
    """A new private folder (mode 0700, unpredictable name) inside ``folder`` to write files in by name."""
    return Path(tempfile.mkdtemp(dir=folder, prefix=_STAGING_PREFIX, suffix=_TEMPORARY))


def publish(staged: Path, final: Path) -> None:
    """Sync a finished file written in a staging folder and rename it into place."""
    fd = os.open(staged, os.O_RDONLY)
    try:
        os.fchmod(fd, _MODE)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(staged, final)
    _sync_folder(final.parent)


def remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files and staging folders of earlier, killed runs (call under `RunLock`:
    no other run can be writing them)."""
    for path in [*folder.glob(f".*{_TEMPORARY}"), *folder.glob(f"{CHUNKS}/.*{_TEMPORARY}"),
                 *folder.glob(f"{CHUNKS}/*/.*{_TEMPORARY}")]:
        with contextlib.suppress(OSError):
            if path.name.startswith(_STAGING_PREFIX) and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


class RunLock:
    """An exclusive OS lock (``flock``) on the output folder itself for the length of a run: nothing is
    left behind, and the lock goes with the process however it ends."""

    def __init__(self, folder: Path):
        self.folder, self.fd = Path(folder), None

    def __enter__(self) -> RunLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            raise FolderBusy(f"{self.folder} is in use by another simulate run; wait for it to finish "
                             "or choose another --out") from None
        self.fd = fd
        return self

    def __exit__(self, *exc) -> bool:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None
        return False


class ChunkStore:
    """Completed chunks of one run in ``<folder>/chunks``."""

    def __init__(self, folder: Path, config_text: str, seed: int, trials: int, chunk_trials: int, version: str):
        self.root = Path(folder) / CHUNKS
        self.manifest = {
            "config_sha256": hashlib.sha256(config_text.encode()).hexdigest(),
            "seed": seed, "trials": trials, "chunk_trials": chunk_trials, "seamless_version": version,
            "sources_sha256": sources_digest(),
        }
        self.run = hashlib.sha256(json.dumps(self.manifest, sort_keys=True).encode()).hexdigest()

    def open(self, fresh: bool = False) -> None:
        """Prepare the folder: adopt the chunks of this run, refuse those of another (unless ``fresh``:
        then discard them) and a ``chunks`` folder the store did not make."""
        path = self.root / MANIFEST
        if self.root.is_symlink() or (self.root.exists() and not path.is_file() and any(self.root.iterdir())):
            raise StoreMismatch(f"{self.root} was not made by simulate (it has no {MANIFEST}); "
                                "move it away or choose another --out")
        if path.is_file():
            try:
                found = json.loads(path.read_text())
            except (ValueError, OSError):
                found = {}
            if found != self.manifest and not fresh:
                differ = ", ".join(k for k in self.manifest if found.get(k) != self.manifest[k])
                raise StoreMismatch(f"{self.root.parent} holds unfinished chunks of another run (different "
                                    f"{differ}); use --fresh to discard them, or another --out folder")
            if found == self.manifest and not fresh:
                return
            self.clear()
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda h: h.write(json.dumps(self.manifest, indent=1).encode()))

    def _path(self, scenario: str, index: int) -> Path:
        return self.root / f"{zlib.crc32(scenario.encode()):08x}" / f"{index:06d}.npz"

    def save(self, scenario: str, index: int, outputs: TrialOutputs) -> None:
        """One record per trial (a structured array: one archive member instead of one per field),
        with the run, scenario, index and a checksum of the records."""
        path = self._path(scenario, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = outputs._asdict()
        trials = np.empty(outputs.reject.size, [(name, array.dtype, array.shape[1:]) for name, array in fields.items()])
        for name, array in fields.items():
            trials[name] = array
        identity = {"run": self.run, "scenario": scenario, "index": index,
                    "sha256": hashlib.sha256(trials.tobytes()).hexdigest()}
        write_atomically(path, lambda h: np.savez(h, identity=np.array(json.dumps(identity)), trials=trials))

    def has(self, scenario: str, index: int) -> bool:
        """Whether a whole, good chunk is stored there (a bad one is deleted)."""
        return self.load(scenario, index) is not None

    def load(self, scenario: str, index: int) -> TrialOutputs | None:
        """The chunk's outputs, or None when it is missing or not a whole chunk of this run at this place
        (a bad one is deleted, to be simulated again)."""
        path = self._path(scenario, index)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                identity, trials = json.loads(str(data["identity"])), data["trials"]
            good = (identity == {"run": self.run, "scenario": scenario, "index": index,
                                 "sha256": hashlib.sha256(trials.tobytes()).hexdigest()})
            outputs = TrialOutputs(*(np.ascontiguousarray(trials[name]) for name in TrialOutputs._fields))
        except Exception:  # noqa: BLE001 (truncated, bit-flipped, empty, of an older layout: all mean "redo")
            good = False
        if not good:
            path.unlink(missing_ok=True)
            return None
        return outputs

    def clear(self) -> None:
        """Delete what the store wrote (its manifest and chunk files), and its folders if left empty."""
        if not self.root.is_dir() or self.root.is_symlink():
            return
        for folder in self.root.iterdir():
            if _CHUNK_DIR.fullmatch(folder.name) and folder.is_dir() and not folder.is_symlink():
                for chunk in folder.iterdir():
                    if _CHUNK_FILE.fullmatch(chunk.name) or chunk.name.endswith(_TEMPORARY):
                        chunk.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    folder.rmdir()
        (self.root / MANIFEST).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.root.rmdir()
