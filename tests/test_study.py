"""Runs at scale: identical files whatever the workers or backend, resumable after a kill,
refusal to mix runs, progress on a terminal."""

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from seamless.cli import main
from seamless.config import parse_study
from seamless.run.output import SUMMARY_FILE, TRIALS_FILE
from seamless.run.store import ChunkStore
from seamless.sim.engine import allocate_outputs
from seamless.sim.kernel_design import kernel_design

FILES = (TRIALS_FILE, SUMMARY_FILE)



def _run(small_config, out, *flags):
    assert main([str(small_config), "--trials", "300", "--scenario", "design", "--scenario", "null",
                 "--out", str(out), "--quiet", *flags]) == 0
    return {name: (out / name).read_bytes() for name in FILES}


def test_files_are_identical_with_one_or_two_jobs_on_threads_or_processes(small_config, tmp_path):
    one = _run(small_config, tmp_path / "one", "--jobs", "1")
    assert _run(small_config, tmp_path / "two", "--jobs", "2") == one  # threads, the default
    assert _run(small_config, tmp_path / "loky", "--jobs", "2", "--backend", "loky") == one
    assert not (tmp_path / "one" / "chunks").exists()  # chunks are removed once the files are whole


@pytest.mark.slow
def test_dask_cluster_gives_the_local_results(small_config, tmp_path):
    from dask.distributed import LocalCluster

    local = _run(small_config, tmp_path / "local", "--jobs", "1")
    with LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        remote = _run(small_config, tmp_path / "cluster", "--scheduler", cluster.scheduler_address)
    assert remote == local
    assert _run(small_config, tmp_path / "own_cluster", "--backend", "dask", "--jobs", "2") == local


def _command(config_path, out, *flags):
    return [sys.executable, "-m", "seamless.cli", str(config_path), "--trials", "30000", "--scenario", "null",
            "--jobs", "1", "--out", str(out), *flags]


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_files(tmp_path, default_text):
    config_path = tmp_path / "resume.toml"
    config_path.write_text(default_text)  # 1000 trials a chunk: 30 chunks
    out = tmp_path / "interrupted"
    process = subprocess.Popen(_command(config_path, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while len(list(out.glob("chunks/*/*.npz"))) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    kept = len(list(out.glob("chunks/*/*.npz")))
    assert 2 <= kept < 30, kept
    assert not any((out / name).exists() for name in FILES)

    resumed = subprocess.run(_command(config_path, out), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "already done, resuming" in resumed.stderr
    assert main([str(config_path), "--trials", "30000", "--scenario", "null", "--jobs", "2",
                 "--out", str(tmp_path / "straight"), "--quiet"]) == 0
    for name in FILES:
        assert (out / name).read_bytes() == (tmp_path / "straight" / name).read_bytes(), name


def test_chunks_of_another_run_are_refused_until_fresh(small_config, tmp_path, capsys):
    config = parse_study(small_config.read_text(), "small")
    out = tmp_path / "mixed"
    store = ChunkStore(out, config.text, 99, 300, 100, "0.1.0")
    store.open()
    store.save("design", 0, allocate_outputs(100, kernel_design(config["design"])))
    assert main([str(small_config), "--trials", "300", "--seed", "1", "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "another run" in error and "seed" in error and "--fresh" in error
    assert not (out / "trials.parquet").exists()
    _run(small_config, out, "--fresh", "--jobs", "1")
    assert (out / "trials.parquet").exists()


def _stderr_on_terminal(args, cwd):
    """Run with stderr on a pseudo-terminal; return what it printed there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a size
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=follower, cwd=cwd)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    process.wait()
    os.close(leader)
    return process.returncode, b"".join(chunks).decode(errors="replace")


def test_progress_bar_on_a_terminal_and_silence_when_quiet(small_config, tmp_path):
    args = [sys.executable, "-m", "seamless.cli", str(small_config), "--trials", "300", "--scenario", "null",
            "--jobs", "1", "--out", str(tmp_path / "p")]
    code, shown = _stderr_on_terminal(args, tmp_path)
    assert code == 0
    assert "[1/1] scenario null: 300 trials" in shown
    assert "300/300" in shown and "trials/s" in shown  # trials done, rate; tqdm shows time left as <mm:ss
    code, shown = _stderr_on_terminal(args + ["--quiet"], tmp_path)
    assert code == 0 and shown == ""
    piped = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path)
    assert "[1/1] scenario null" in piped.stderr and "trials/s" not in piped.stderr  # no bar off a terminal


@pytest.mark.slow
def test_numba_cache_goes_where_asked(small_config, tmp_path):
    cache = tmp_path / "numba-cache"
    result = subprocess.run([sys.executable, "-m", "seamless.cli", str(small_config), "--trials", "2", "--jobs", "2",
                             "--scenario", "null", "--out", str(tmp_path / "o"), "--quiet",
                             "--numba-cache-dir", str(cache)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert list(cache.rglob("*.nbi")), "no numba index files in the requested cache folder"


def test_trials_are_written_in_row_groups_of_whole_chunks(tmp_path, default_text):
    """A scenario's chunks gather, in order, into row groups of at least ROW_GROUP_ROWS trials; the
    last group holds what is left."""
    import pyarrow.parquet as pq

    from seamless.run.output import ROW_GROUP_ROWS

    assert ROW_GROUP_ROWS == 10_000  # the sizes below assume it
    small_config = tmp_path / "groups.toml"
    small_config.write_text(default_text.replace("chunk_trials = 1000", "chunk_trials = 4000"))
    assert main([str(small_config), "--trials", "22000", "--scenario", "null", "--jobs", "2",
                 "--out", str(tmp_path / "o"), "--quiet"]) == 0
    trials = pq.ParquetFile(tmp_path / "o" / "trials.parquet")
    sizes = [trials.metadata.row_group(g).num_rows for g in range(trials.num_row_groups)]
    assert sizes == [12_000, 10_000]  # three chunks of 4000; two more and the last of 2000
    assert trials.read(columns=["trial"]).column("trial").to_pylist() == list(range(22_000))
