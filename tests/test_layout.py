"""The package's wings import only downwards: statistics <- simulated trial <- running a study,
analysing observed data <- report <- API.

Read from the source (every import statement, also inside functions), so a new import that
crosses a wing the wrong way fails here, not in a reader's head.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "seamless"

#: What each part of the package may import from the package (prefixes of module names).
ALLOWED = {
    "stats": ("seamless._jit", "seamless.stats"),
    "sim": ("seamless._jit", "seamless._schema", "seamless.stats", "seamless.sim", "seamless.design"),
    "design": ("seamless._schema", "seamless.stats", "seamless.sim.outcome", "seamless.sim.endpoints",
               "seamless.sim.selection"),
    "config": ("seamless._schema", "seamless.design"),
    "run": ("seamless._jit", "seamless._schema", "seamless.stats", "seamless.sim", "seamless.design", "seamless.config",
            "seamless.run", "seamless.__version__"),
    "observed": ("seamless._jit", "seamless._schema", "seamless.stats", "seamless.sim", "seamless.design",
                 "seamless.observed"),
    "report": ("seamless.stats", "seamless.design", "seamless.config", "seamless.run", "seamless.report"),
    "api": ("seamless._schema", "seamless.design", "seamless.config", "seamless.run", "seamless.report",
            "seamless.observed"),
}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "seamless":
                yield from (f"seamless.{alias.name}" for alias in node.names)
            else:
                yield node.module


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if _part(p) in ALLOWED)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_only_downwards(path):
    allowed = ALLOWED[_part(path)]
    wrong = [name for name in _imports(path)
             if name.startswith("seamless") and not any(name == a or name.startswith(a + ".") for a in allowed)]
    assert not wrong, f"{path.relative_to(PACKAGE)} imports {wrong}; allowed: {allowed}"


def test_importing_the_package_loads_nothing_heavy():
    # numba must be configured (NUMBA_CACHE_DIR) before it is imported, and a notebook's
    # `import seamless` should not pay for pandas or pyarrow before they are used.
    code = ("import sys, seamless; seamless.ConfigError; "
            "print(','.join(m for m in ('numba', 'pandas', 'pyarrow', 'matplotlib', 'dask') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
