"""The ``simulate`` command: run a config, or print group-sequential boundaries.

    simulate CONFIG.toml [--trials N] [--seed S] [--out DIR] [--scenario NAME ...] [--jobs N]
                         [--backend threads|loky|dask] [--scheduler tcp://HOST:PORT] [--fresh] [--json] [--quiet]
    simulate boundaries --info-rates 0.3,0.75,1 [--alpha 0.025] [--spending obf] [--efficacy-looks 2,3] [--json]
    simulate report RESULTS_DIR [--out FILE.html]
    simulate analyze CONFIG.toml DATA.csv|DATA.parquet [--cutoff T] [--selected DOSE] [--scenario NAME]
                     [--planned-hr HR] [--simulations N] [--seed S] [--json]

Exit statuses: 0 done; 2 bad input (one line on stderr, nothing written); 3 the environment failed
(output folder in use by another run, disk full or read-only, Dask scheduler unreachable); 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM): completed chunks are kept for the next run.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
from pathlib import Path

__all__ = ["main"]


EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 3, 130, 143


class UsageError(Exception):
    """Bad command-line input; the message is one line."""


class EnvironmentFailure(Exception):
    """The input is fine but the machine could not do the run; the message is one line."""


class Interrupted(Exception):
    """The run was interrupted (Ctrl-C) or terminated (SIGTERM); the message says what was kept."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so a terminated run unwinds like an interrupted one."""


def _terminate(signum, frame):
    raise Terminated()


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _number_list(kind, name):
    def parse(text):
        try:
            return [kind(x) for x in text.split(",") if x.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: comma-separated {kind.__name__}s, got {text!r}") from None
    return parse


def _integer(lowest: int):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = lowest - 1
        if value < lowest:
            raise argparse.ArgumentTypeError(f"must be an integer >= {lowest}, got {text!r}")
        return value
    return parse


def _run_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="simulate", description="Simulate an adaptive seamless trial design described in TOML.")
    p.add_argument("config", help="design config (TOML), e.g. configs/successor2.toml")
    p.add_argument("--trials", type=_integer(1), help="trials per scenario (default: the config's, else 10000)")
    p.add_argument("--seed", type=_integer(0), help="random seed (default: the config's)")
    p.add_argument("--out", type=Path, help="output folder (default: results/<config name>)")
    p.add_argument("--scenario", action="append", metavar="NAME",
                   help="run only this scenario or sweep (repeatable)")
    p.add_argument("--jobs", type=_integer(1), default=os.cpu_count() or 1,
                   help="parallel workers (default: all cores; with --backend dask: local cluster workers)")
    p.add_argument("--backend", choices=["threads", "loky", "dask"], default=None,
                   help="threads: local threads (default); loky: local processes; "
                        "dask: a Dask cluster (needs the dask extra)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="Dask scheduler to run on (implies --backend dask; default: a local cluster on 127.0.0.1)")
    p.add_argument("--fresh", action="store_true", help="discard completed chunks of an interrupted run and start over")
    p.add_argument("--numba-cache-dir", type=Path, metavar="DIR",
                   help="where compiled kernels are cached (default: NUMBA_CACHE_DIR, else beside the package)")
    p.add_argument("--json", action="store_true", help="print the summary rows as JSON on stdout")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def _boundaries_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="simulate boundaries", description="Group-sequential efficacy bounds (alpha spending).")
    p.add_argument("--info-rates", required=True, type=_number_list(float, "--info-rates"),
                   help="information rates, e.g. 0.3,0.75,1")
    p.add_argument("--alpha", type=float, default=0.025, help="one-sided alpha (default 0.025)")
    p.add_argument("--spending", default="obf", help="obf (default), pocock, hsd:<gamma>, kd:<rho>")
    p.add_argument("--efficacy-looks", type=_number_list(int, "--efficacy-looks"),
                   help="1-based looks with efficacy stopping (default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _report_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="simulate report", description="An HTML report of a run, from its Parquet files.")
    p.add_argument("results", type=Path, help="a results folder (trials.parquet, summary.parquet)")
    p.add_argument("--out", type=Path, help="the HTML file to write (default: RESULTS/report.html)")
    return p


def _analyze_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="simulate analyze",
                description="The interim and final analyses of a trial's patient-level data with the design's test.")
    p.add_argument("config", help="the design's config (TOML)")
    p.add_argument("data", help="patients: CSV or Parquet (columns: patient, stage, arm, one per factor, entry, "
                                "time, event)")
    p.add_argument("--cutoff", help="re-cut the data at this calendar time (months, or an ISO date when entries are "
                                    "dates; default: the data's last follow-up)")
    p.add_argument("--selected", metavar="DOSE", help="the selected dose (default: stage 2's, else the design's rule)")
    p.add_argument("--scenario", metavar="NAME", help="the config's scenario whose design is used (default: the first)")
    p.add_argument("--planned-hr", type=float, metavar="HR",
                   help="the selected dose's HR assumed for conditional power (default: the design's)")
    p.add_argument("--simulations", type=_integer(0), default=1000,
                   help="simulated continuations for conditional power in cohort mode (default 1000; 0: the formula)")
    p.add_argument("--seed", type=_integer(0), default=1, help="their random seed (default 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _analyze(argv: list[str]) -> int:
    import seamless as sl
    from seamless.run.output import json_safe

    args = _analyze_parser().parse_args(argv)
    try:
        study = sl.load(args.config)
        analysis = sl.analyze(study, args.data, cutoff=args.cutoff, selected=args.selected, scenario=args.scenario,
                              planned_hr=args.planned_hr, simulations=args.simulations, seed=args.seed)
    except sl.ConfigError as err:
        raise UsageError(_as_option(str(err))) from None
    if args.json:
        print(json.dumps(json_safe(analysis.to_dict()), allow_nan=False))
    else:
        print(analysis.text())
    return 0


def _report(argv: list[str]) -> int:
    from seamless.report.document import ReportError, write_report

    args = _report_parser().parse_args(argv)
    try:
        path = write_report(args.results, args.out)
    except ReportError as err:
        raise UsageError(str(err)) from None
    except OSError as err:
        raise UsageError(f"--out: cannot write the report to {args.out or args.results}: {err.strerror or err}") \
            from None
    print(f"wrote {path}")
    return 0


def _boundaries(argv: list[str]) -> int:
    from seamless._schema import ConfigError, number
    from seamless.design import MIN_ALPHA
    from seamless.run.output import json_safe
    from seamless.run.tables import boundaries_report
    from seamless.stats.boundaries import efficacy_bounds
    from seamless.stats.spending import Spending

    args = _boundaries_parser().parse_args(argv)
    try:
        number(MIN_ALPHA, 0.5, hi_open=True)(args.alpha, "--alpha")
        spending = Spending.parse(args.spending)
    except ConfigError as err:
        raise UsageError(str(err)) from None
    except ValueError as err:
        raise UsageError(f"--spending: {err}") from None
    try:
        bounds = efficacy_bounds(args.info_rates, alpha=args.alpha, spending=spending,
                                 efficacy_looks=args.efficacy_looks)
    except ValueError as err:  # named as in a config: the options' names instead
        message = str(err).replace("information_rates", "--info-rates").replace("efficacy_looks", "--efficacy-looks")
        raise UsageError(message) from None
    if args.json:
        fields = ("information_rates", "efficacy_bounds", "nominal_p", "cumulative_alpha")
        print(json.dumps(json_safe({name: getattr(bounds, name).tolist() for name in fields}), allow_nan=False))
    else:
        print(boundaries_report(bounds))
    return 0


def _simulate(argv: list[str]) -> int:
    args = _run_parser().parse_args(argv)
    if args.numba_cache_dir:
        os.environ["NUMBA_CACHE_DIR"] = str(args.numba_cache_dir.resolve())  # read when numba is imported
    import seamless as sl
    from seamless.config import check_folder_name
    from seamless.run.output import json_safe
    from seamless.run.progress import Progress
    from seamless.run.runner import BackendUnavailable
    from seamless.run.store import FolderBusy, StoreMismatch

    try:
        study = sl.load(args.config)
        out_dir = args.out or Path("results") / check_folder_name(study.name, "the config's name (set name or --out)")
    except sl.ConfigError as err:
        raise UsageError(str(err)) from None
    kept = (f"completed chunks are kept in {out_dir / 'chunks'}: run the same command again to continue")
    try:
        result = sl.simulate(study, trials=args.trials, seed=args.seed, scenarios=args.scenario, jobs=args.jobs,
                             backend=args.backend or ("dask" if args.scheduler else "threads"),
                             scheduler=args.scheduler, out=out_dir, fresh=args.fresh,
                             progress=Progress(lines=not args.quiet))
    except (sl.ConfigError, StoreMismatch) as err:
        raise UsageError(_as_option(str(err))) from None
    except (FolderBusy, BackendUnavailable) as err:
        raise EnvironmentFailure(str(err)) from None
    except OSError as err:
        message = f"cannot write results to {out_dir}: {err.strerror or err}"
        if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS):  # the machine, not the input
            raise EnvironmentFailure(message) from None
        raise UsageError(f"--out: {message}") from None
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; {kept}", EXIT_INTERRUPTED) from None
    except Terminated:
        raise Interrupted(f"terminated; {kept}", EXIT_TERMINATED) from None
    if args.json:
        print(json.dumps(json_safe(result.rows), allow_nan=False))
    elif not args.quiet:
        print(result.text() + "\n")
        print("wrote " + ", ".join(str(out_dir / name) for name in ("trials.parquet", "summary.parquet")))
    return 0


#: Messages about an argument of `seamless.simulate` begin with these; here they name the option.
_OPTION_MESSAGES = {"trials:": "--trials:", "seed:": "--seed:", "jobs:": "--jobs:", "backend:": "--backend:",
                    "scheduler:": "--scheduler:", "unknown scenario": "--scenario: unknown scenario",
                  "planned_hr:": "--planned-hr:", "simulations:": "--simulations:"}


def _as_option(message: str) -> str:
    return next((option + message[len(start):] for start, option in _OPTION_MESSAGES.items()
                 if message.startswith(start)), message)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        if argv[:1] == ["boundaries"]:
            return _boundaries(argv[1:])
        if argv[:1] == ["report"]:
            return _report(argv[1:])
        if argv[:1] == ["analyze"]:
            return _analyze(argv[1:])
        return _simulate(argv)
    except UsageError as err:
        print(f"simulate: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except EnvironmentFailure as err:
        print(f"simulate: error: {err}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except Interrupted as err:
        print(f"simulate: {err}", file=sys.stderr)
        return err.status
    except KeyboardInterrupt:
        print("simulate: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("simulate: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
