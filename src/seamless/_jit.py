"""The one place where numba options are set for every compiled kernel.

numba checks a cached kernel against its own source file only: a kernel whose callee changed in
another file would load its stale machine code. So the package's cached kernels are dropped
whenever any of its source files (in any of its subpackages) differs from the sources they were
compiled from. numba caches the kernels of each source folder in a folder of their own.

The simulation kernels run without numba's reference counting of arrays (its runtime, NRT,
option ``_nrt=False``). With it, every view a kernel takes (a row, a slice, an array held in a
NamedTuple) costs an atomic increment and decrement, through a function call: about a sixth of a
simulated trial's time. These kernels allocate nothing and keep no array beyond their call: the
arrays they work on belong to the Python caller, which holds them throughout. Two rules follow,
which the tests check: a `kernel` returns no array (without reference counts numba would hand
Python the whole parent array of a view); kernels that allocate, the plain reference twins,
are `allocating_kernel` and are never called from a `kernel`.
"""

import contextlib
import hashlib
from pathlib import Path

import numba

__all__ = ["kernel", "inline_kernel", "allocating_kernel", "cache_folders", "sources_digest"]

_STAMP = "seamless-sources.sha256"


_PACKAGE = Path(__file__).parent


def _sources() -> list[Path]:
    return sorted(_PACKAGE.rglob("*.py"))


def sources_digest() -> str:
    """SHA-256 of every source file of the package (names and contents)."""
    digest = hashlib.sha256()
    for path in _sources():
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _cache_folder(source: Path) -> Path | None:
    """Where numba caches the kernels of ``source``'s folder, found by numba's own rules
    (NUMBA_CACHE_DIR, else beside the sources, else the user's cache folder); None if nowhere."""
    from numba.core.caching import CacheImpl  # holds numba's cache locators, in the order it tries them

    for locator_class in CacheImpl._locator_classes:
        locator = locator_class.from_function(sources_digest, str(source))
        if locator is not None:
            return Path(locator.get_cache_path())
    return None


def cache_folders() -> list[Path]:
    """The cache folder of each source folder of the package."""
    folders = {_cache_folder(next(folder.glob("*.py"))) for folder in {p.parent for p in _sources()}}
    return sorted(folder for folder in folders if folder is not None)


def _drop_stale_kernels() -> None:
    digest = sources_digest()
    for folder in cache_folders():
        stamp = folder / _STAMP
        if stamp.is_file() and stamp.read_text() == digest:
            continue
        for cached in folder.glob("*.nb[ic]"):
            cached.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # a folder numba cannot write to holds no kernels of ours
            folder.mkdir(parents=True, exist_ok=True)
            stamp.write_text(digest)


_drop_stale_kernels()

_OPTIONS = {"cache": True, "error_model": "numpy", "nogil": True}

#: Decorator for the simulation kernels: cached on disk (NUMBA_CACHE_DIR moves the cache), numpy
#: error semantics (division by zero gives inf/nan, never raises inside a kernel), no reference
#: counting (see above: such a kernel allocates no array and returns none).
kernel = numba.njit(**_OPTIONS, _nrt=False)

#: The same for kernels of a few instructions that numba compiles into each caller, so that values
#: passed through them (a random stream's state) stay in registers: seamless.sim.stream's draws.
inline_kernel = numba.njit(**_OPTIONS, _nrt=False, inline="always")

#: Kernels that allocate arrays (the plain reference twins), with numba's reference counting.
allocating_kernel = numba.njit(**_OPTIONS)
