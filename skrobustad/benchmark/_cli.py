"""The ``skrobustad-bench`` command line.

``skrobustad-bench run --suite quick`` runs a suite and prints its tables;
``skrobustad-bench list`` shows the suites, the datasets found and the
methods. Run ``skrobustad-bench run --help`` for every option.
"""

import argparse
import sys
from pathlib import Path

from ..datasets import EMBEDDED_DATASETS, get_data_home, list_adbench
from ._registry import get_method, get_suite, list_methods, list_protocols, list_suites
from ._runner import run_benchmark

DEFAULT_OUT = "bench_results"


def _parse_value(text):
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _parse_option(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), _parse_value(value.strip())


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="skrobustad-bench",
        description=(
            "Benchmark skrobustad's detectors side by side with PyOD's on contaminated data."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="run a suite and print its tables",
        description=(
            "Run every (dataset, method, seed) cell of a suite. Finished cells are "
            "appended to OUT/<suite>.csv at once, and a rerun with the same --out "
            "skips them (resume). OUT/<suite>.md holds the tables, OUT/<suite>.png "
            "the plot. For a cluster, run from Python inside "
            "joblib.parallel_config(backend='dask') (see the user guide)."
        ),
    )
    run.add_argument("--suite", default="quick", help="suite name (default: quick); see 'list'")
    run.add_argument(
        "--datasets", nargs="+", metavar="NAME", help="datasets (default: the suite's)"
    )
    run.add_argument("--methods", nargs="+", metavar="NAME", help="methods (default: the suite's)")
    run.add_argument(
        "--seeds", nargs="+", type=int, metavar="SEED", help="seeds (default: the suite's)"
    )
    run.add_argument("--n-jobs", type=int, default=1, help="cells run in parallel (default: 1)")
    run.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch/BLAS threads per cell (default: 1; 0 leaves the process settings)",
    )
    run.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default: ./{DEFAULT_OUT})")
    run.add_argument(
        "--data-home",
        help="folder holding adbench/<collection>/*.npz (default: $SKROBUSTAD_DATA_HOME, "
        "else ~/skrobustad_data)",
    )
    run.add_argument(
        "--set",
        dest="options",
        nargs="+",
        type=_parse_option,
        default=[],
        metavar="KEY=VALUE",
        help="protocol options, e.g. --set contamination=0.05 labeled_anomalies=5; the "
        "ADBench suites cap training parts at max_train_samples=3000 rows (the "
        "contamination suite at 2000; the scale suite sweeps it from 3000 to every row): "
        "--set max_train_samples=None trains on every row "
        "(the report states the cap used)",
    )
    run.add_argument("--no-plot", action="store_true", help="do not write the PNG plot")
    run.add_argument("--quiet", action="store_true", help="no progress bar, no tables")

    listing = commands.add_parser("list", help="show suites, datasets found and methods")
    listing.add_argument("--data-home", help="folder holding adbench/<collection>/*.npz")
    return parser


def _check_run_options(args):
    if args.threads < 0:
        raise ValueError(
            f"--threads must be a number of threads >= 1, or 0 to leave the process "
            f"settings, got {args.threads}."
        )
    if args.n_jobs == 0:
        raise ValueError(
            "--n-jobs must be a number of cells run in parallel >= 1, or negative to "
            "count from the number of CPUs (-1: one per CPU), got 0."
        )


def _results_csv(args):
    """Where ``run`` keeps its results (named in the interrupt message)."""
    try:
        return Path(args.out) / f"{get_suite(args.suite).name}.csv"
    except ValueError:
        return Path(args.out)


def _run(args, out):
    _check_run_options(args)
    result = run_benchmark(
        args.suite,
        datasets=args.datasets,
        methods=args.methods,
        seeds=args.seeds,
        data_home=args.data_home,
        out=args.out,
        n_jobs=args.n_jobs,
        n_threads=args.threads or None,
        protocol_kwargs=dict(args.options),
        progress=not args.quiet,
        plot=not args.no_plot,
    )
    if not args.quiet:
        out.write(result.to_markdown())
        out.write("\n")
        for kind, path in result.paths.items():
            out.write(f"{kind}: {path}\n")
    if result.errors:
        sys.stderr.write(
            f"skrobustad-bench: {len(result.errors)} cell(s) failed; their errors are "
            f"in the 'error' column of {result.paths.get('csv', 'the results')}. A rerun "
            "retries them.\n"
        )
        return 1
    return 0


def _describe_datasets(suite, data_home):
    if callable(suite.datasets):
        try:
            return f"the {len(suite.datasets(data_home))} ADBench files found"
        except FileNotFoundError:
            return "ADBench files not found (see 'datasets' below)"
    return ", ".join(d.removeprefix("embedded:") for d in suite.datasets)


def _list(args, out):
    out.write("Suites:\n")
    for name in list_suites():
        suite = get_suite(name)
        sweep = "".join(
            f"; {key} in {', '.join(map(str, values))}" for key, values in suite.sweep.items()
        )
        out.write(
            f"  {name:<16} protocol {suite.protocol}{sweep}; seeds {list(suite.seeds)}; "
            f"datasets: {_describe_datasets(suite, args.data_home)}\n"
            f"  {'':<16} methods: {', '.join(suite.methods)}\n"
        )
        if suite.description:
            out.write(f"  {'':<16} {suite.description}\n")
    out.write(f"\nProtocols: {', '.join(list_protocols())}\n")
    home, origin = get_data_home(args.data_home, return_origin=True)
    out.write("\nDatasets:\n")
    out.write(f"  embedded: {', '.join(f'embedded:{k}' for k in EMBEDDED_DATASETS)}\n")
    found = list_adbench(args.data_home)
    if found:
        out.write(f"  ADBench in {home / 'adbench'} ({len(found)}): {', '.join(found)}\n")
    else:
        out.write(
            f"  ADBench: none found in {home / 'adbench'} (data home from {origin}); set "
            "SKROBUSTAD_DATA_HOME or --data-home to the folder holding adbench/\n"
        )
    out.write("\nMethods:\n")
    for name in list_methods():
        method = get_method(name)
        labels = " (uses labels)" if method.uses_labels else ""
        out.write(f"  {name:<18} {method.family:<10} {method.description}{labels}\n")
    return 0


def main(argv=None):
    """Entry point of ``skrobustad-bench``; returns the exit code.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    code : int
        0 on success, 1 when some cells failed, 2 on bad input (one line on
        stderr, no traceback), 130 when interrupted (Ctrl-C): the finished
        cells are kept, and the same command resumes the run.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args, sys.stdout)
        return _list(args, sys.stdout)
    except (ValueError, OSError, ImportError) as exc:
        message = " ".join(str(exc).split())
        sys.stderr.write(f"skrobustad-bench: error: {message}\n")
        return 2
    except KeyboardInterrupt:
        where = f" in {_results_csv(args)}" if args.command == "run" else ""
        sys.stderr.write(
            f"skrobustad-bench: interrupted; the finished cells are saved{where}: rerun "
            "the same command to resume.\n"
        )
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
