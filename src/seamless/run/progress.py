"""Progress on stderr: a line per scenario and, on a terminal, a bar with trials done,
trials per second and time left (tqdm)."""

from __future__ import annotations

import sys

__all__ = ["Progress"]


class Progress:
    def __init__(self, lines: bool = True, bar: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.lines = lines
        self.bar = (lines and self.stream.isatty()) if bar is None else bar
        self._tqdm = None

    def start(self, index: int, count: int, name: str, total: int, done: int) -> None:
        if self.lines:
            resumed = f" ({done} already done, resuming)" if done else ""
            print(f"[{index + 1}/{count}] scenario {name}: {total} trials{resumed}", file=self.stream, flush=True)
        if self.bar:
            from tqdm import tqdm

            self._tqdm = tqdm(total=total, initial=done, desc=name, unit=" trials", unit_scale=True,
                              file=self.stream, dynamic_ncols=True, smoothing=0.1)

    def advance(self, trials: int) -> None:
        if self._tqdm is not None:
            self._tqdm.update(trials)

    def finish(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
