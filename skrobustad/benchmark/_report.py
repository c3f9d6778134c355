"""Reports of a benchmark run: markdown tables and a plot.

The runner imports this module, never the reverse: a report reads result
rows (plain dicts with the columns of ``_runner.CSV_COLUMNS``) and a
:class:`~skrobustad.benchmark.BenchmarkResult`'s attributes only.
"""

import itertools
import json
import math
import os
import platform
from pathlib import Path

import numpy as np
import torch
from scipy.stats import rankdata

from ..datasets import adbench_short_name

_METRICS = {"auroc": "AUROC", "average_precision": "Average precision"}
_SHORT = {"auroc": "AUROC", "average_precision": "AP"}
#: Cost tables of suites with ``Suite.costs``: title and decimals (lower is better).
_COSTS = {
    "fit_seconds": ("Fit seconds (wall)", 1),
    "score_seconds": ("Score seconds (wall, the test part)", 2),
    "peak_rss_mb": ("Peak resident memory of fit + score above the cell's start, MiB", 0),
}


def _display(dataset):
    return dataset.removeprefix("embedded:")


def _key(dataset):
    return adbench_short_name(dataset.removeprefix("embedded:"))


def machine_description():
    """One line naming the machine a run is measured on."""
    return (
        f"{platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPU cores, torch {torch.__version__}"
        f"{', CUDA ' + torch.cuda.get_device_name() if torch.cuda.is_available() else ''}"
    )


def _tuples(value):
    """JSON lists as tuples (hashable), recursively."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def row_options(row):
    """The protocol options of a result row, read from its ``config`` column."""
    try:
        options = json.loads(row["config"])["options"]
    except (KeyError, TypeError, ValueError):
        return {}
    return {k: _tuples(v) for k, v in options.items()}


#: What ``None`` means for the options where it is not "none" (no cap: every row).
_NONE_MEANS = {"max_train_samples": "all", "max_samples": "all"}


def _format_value(value, key=None):
    if value is None:
        return _NONE_MEANS.get(key, "None")
    return f"{value:g}" if isinstance(value, float) else str(value)


def _grouped(rows, datasets, sweep):
    """Rows keyed by group, and the groups: ``(dataset, point)`` with a sweep.

    Without a sweep the groups are the datasets and the rows are returned as
    they are; with one, each row's ``dataset`` becomes ``(dataset, point)``,
    ``point`` the tuple of its values of the swept options.
    """
    if not sweep:
        return rows, list(datasets)
    keys = tuple(sweep)
    points = list(itertools.product(*sweep.values()))
    grouped = []
    for row in rows:
        options = row_options(row)
        grouped.append(dict(row, dataset=(row["dataset"], tuple(options.get(k) for k in keys))))
    return grouped, [(d, p) for d in datasets for p in points]


def summarize(rows, metric="auroc"):
    """Mean, std and count of ``metric`` per ``(dataset, method)``.

    Parameters
    ----------
    rows : list of dict
        Result rows (failed cells are ignored).
    metric : {"auroc", "average_precision", "fit_seconds", "score_seconds", "peak_rss_mb"}

    Returns
    -------
    summary : dict
        ``{(dataset, method): (mean, std, n)}``; std is the population
        standard deviation over seeds (0 for one seed).
    """
    values = {}
    for row in rows:
        value = row[metric]
        if not row["error"] and value is not None and not math.isnan(value):
            values.setdefault((row["dataset"], row["method"]), []).append(value)
    return {key: (float(np.mean(v)), float(np.std(v)), len(v)) for key, v in values.items()}


def mean_ranks(summary, datasets, methods, *, lower_is_better=False):
    """Mean rank of each method over datasets (1 = best, ties averaged).

    On each dataset the methods with a value are ranked by their mean score,
    higher first (lower first with ``lower_is_better``, for costs); a
    method's mean rank averages over the datasets where it has a value.
    """
    sign = 1 if lower_is_better else -1
    ranks = {m: [] for m in methods}
    for dataset in datasets:
        present = [m for m in methods if (dataset, m) in summary]
        if not present:
            continue
        order = rankdata([sign * summary[(dataset, m)][0] for m in present], method="average")
        for method, rank in zip(present, order):
            ranks[method].append(float(rank))
    return {m: float(np.mean(r)) if r else float("nan") for m, r in ranks.items()}


def _reference_value(reference, dataset, method):
    for (ref_dataset, ref_method), value in reference.items():
        if ref_method == method and _key(ref_dataset) == _key(dataset):
            return value
    return None


def _format_reference(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) <= 1 else f"{value:.1f}"
    return str(value)


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def markdown_table(rows, *, datasets, methods, metric="auroc", reference=None, sweep=None,
                   lower_is_better=False, decimals=3):
    """Markdown table of ``metric`` (mean ± std over seeds) per dataset and method.

    The best mean of each dataset (the highest, or the lowest with
    ``lower_is_better``) is in bold, with ``decimals`` decimals. Two closing rows give each
    method's mean over datasets and its mean rank. ``reference`` values
    (``{(dataset, method): value}``, the papers' numbers) add a
    ``"<method> (paper)"`` column beside each method that has some.

    ``sweep`` (``{option: values}``, see :class:`~skrobustad.benchmark.Suite`)
    gives each dataset one line per combination of the swept values (read
    from the rows' ``config``), in a column per option, and one mean line per
    combination; the mean rank is over every line.

    Returns
    -------
    table : str
    """
    reference = reference or {}
    sweep = dict(sweep or {})
    rows, groups = _grouped(rows, datasets, sweep)
    summary = summarize(rows, metric)
    with_reference = {
        m for m in methods if any(_reference_value(reference, d, m) is not None for d in datasets)
    }
    header = ["dataset", *sweep]
    for method in methods:
        header.append(method)
        if method in with_reference:
            header.append(f"{method} (paper)")
    n_labels = 1 + len(sweep)
    lines = [_row(header), _row(["---"] * n_labels + ["---:"] * (len(header) - n_labels))]
    for group in groups:
        dataset, point = group if sweep else (group, ())
        means = [summary[(group, m)][0] for m in methods if (group, m) in summary]
        best = (min if lower_is_better else max)(means) if means else None
        cells = [_display(dataset), *map(_format_value, point, sweep)]
        for method in methods:
            if (group, method) in summary:
                mean, std, n = summary[(group, method)]
                text = f"{mean:.{decimals}f}"
                text += f" ± {std:.{decimals}f}" if n > 1 else ""
                cells.append(f"**{text}**" if mean == best else text)
            else:
                cells.append("—")
            if method in with_reference:
                cells.append(_format_reference(_reference_value(reference, dataset, method)))
        lines.append(_row(cells))
    ranks = mean_ranks(summary, groups, methods, lower_is_better=lower_is_better)
    points = list(itertools.product(*sweep.values())) if sweep else [None]
    for point in points:
        mine = groups if point is None else [g for g in groups if g[1] == point]
        mean_cells = [f"mean {_SHORT.get(metric, metric)}"]
        mean_cells += [] if point is None else list(map(_format_value, point, sweep))
        for method in methods:
            values = [summary[(g, method)][0] for g in mine if (g, method) in summary]
            mean_cells.append(f"{np.mean(values):.{decimals}f}" if values else "—")
            if method in with_reference:
                mean_cells.append("")
        lines.append(_row(mean_cells))
    rank_cells = ["mean rank"] + ["all"] * len(sweep)
    for method in methods:
        has = any((g, method) in summary for g in groups)
        rank_cells.append(f"{ranks[method]:.2f}" if has else "—")
        if method in with_reference:
            rank_cells.append("")
    lines.append(_row(rank_cells))
    return "\n".join(lines)


def time_table(rows, *, methods):
    """Markdown table of the seconds each method took per cell.

    ``fit s`` and ``score s`` are wall-clock means; ``CPU s`` is the mean
    process CPU time of fit + score, which a machine shared with other work
    inflates much less than wall time; ``total s`` sums the wall time;
    ``peak MiB`` is the largest peak resident memory of a cell's fit +
    score above the memory at its start (Linux; ``—`` elsewhere).
    """
    lines = [
        _row(["method", "fit s", "score s", "CPU s", "total s", "peak MiB", "cells", "failed"]),
        _row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
    ]
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        ok = [r for r in mine if not r["error"]]
        fit = [r["fit_seconds"] for r in ok]
        score = [r["score_seconds"] for r in ok]
        cpu = [r["cpu_seconds"] for r in ok if not math.isnan(r["cpu_seconds"])]
        peak = [r["peak_rss_mb"] for r in ok if not math.isnan(r.get("peak_rss_mb", math.nan))]
        lines.append(
            _row(
                [
                    method,
                    f"{np.mean(fit):.2f}" if fit else "—",
                    f"{np.mean(score):.3f}" if score else "—",
                    f"{np.mean(cpu):.2f}" if cpu else "—",
                    f"{np.sum(fit) + np.sum(score):.1f}",
                    f"{np.max(peak):.0f}" if peak else "—",
                    str(len(ok)),
                    str(len(mine) - len(ok)),
                ]
            )
        )
    return "\n".join(lines)


def markdown_report(result):
    """The full markdown report of a :class:`BenchmarkResult`."""
    suite = result.suite
    options = ", ".join(
        f"{k}={v}" + (f" ({_NONE_MEANS[k]} rows)" if v is None and k in _NONE_MEANS else "")
        for k, v in sorted(result.config.items())
    ) or "defaults"
    scale = {"standard": "standardised", "minmax": "min-max scaled"}.get(suite.scale)
    sweep = getattr(result, "sweep", {}) or {}
    n_points = math.prod(len(v) for v in sweep.values())
    n_cells = len(result.datasets) * n_points * len(result.methods) * len(result.seeds)
    swept = "".join(
        f"; swept: {k} = {', '.join(_format_value(x, k) for x in v)}" for k, v in sweep.items()
    )
    grid = f"{len(result.datasets)} datasets x "
    grid += "".join(f"{len(v)} {k} values x " for k, v in sweep.items())
    scaling = f"{scale} on each training part" if scale else "not scaled"
    threads = (
        f"{result.n_threads} torch thread{'s' if result.n_threads != 1 else ''} per cell"
        if result.n_threads
        else f"{torch.get_num_threads()} torch threads (process setting)"
    )
    done = [r for r in result.rows if not r["error"]]
    cell_wall = sum(r["fit_seconds"] + r["score_seconds"] for r in done)
    cell_cpu = sum(r["cpu_seconds"] for r in done if not math.isnan(r["cpu_seconds"]))
    lines = [
        f"## skrobustad-bench: suite `{suite.name}`",
        "",
        suite.description.strip(),
        "",
        (
            f"- Protocol `{suite.protocol}` ({options}{swept}); features {scaling}; "
            f"seeds {', '.join(map(str, result.seeds))}."
        ),
        (
            f"- {grid}{len(result.methods)} methods x "
            f"{len(result.seeds)} seeds = {n_cells} cells: {result.n_computed} computed in "
            f"this run ({result.wall_seconds:.0f} s wall), {result.n_resumed} resumed from "
            "the results file."
        ),
        (
            f"- Fit + score time summed over the cells: {cell_wall:.0f} s wall, "
            f"{cell_cpu:.0f} s CPU."
        ),
        f"- Machine: {machine_description()}; {threads}.",
    ]
    for metric, title in _METRICS.items():
        lines += [
            "",
            f"### {title} (mean ± std over seeds; best in bold)",
            "",
            markdown_table(
                result.rows,
                datasets=result.datasets,
                methods=result.methods,
                metric=metric,
                reference=suite.reference if metric == "auroc" else None,
                sweep=sweep,
            ),
        ]
    for metric, (title, decimals) in _COSTS.items() if suite.costs else ():
        lines += [
            "",
            f"### {title} (mean ± std over seeds; lowest in bold)",
            "",
            markdown_table(result.rows, datasets=result.datasets, methods=result.methods,
                           metric=metric, sweep=sweep, lower_is_better=True,
                           decimals=decimals),
        ]  # fmt: skip
    lines += [
        "",
        "### Seconds per cell (mean over cells)",
        "",
        time_table(result.rows, methods=result.methods),
    ]
    if result.errors:
        lines += ["", f"### Failed cells ({len(result.errors)})", ""]
        for r in result.errors:
            options = row_options(r)
            where = "".join(f" / {k}={_format_value(options.get(k), k)}" for k in sweep)
            lines.append(
                f"- {_display(r['dataset'])}{where} / {r['method']} / seed {r['seed']}: "
                f"{r['error']}"
            )
    return "\n".join(lines) + "\n"


def _figure(width, height):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError("Plotting needs matplotlib: pip install matplotlib.") from exc
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def _numeric_sweep(sweep):
    """The swept option, when one option is swept over numbers (and None, "all")."""
    if len(sweep) != 1:
        return None
    (key, values), = sweep.items()
    ok = all(v is None or isinstance(v, (int, float)) and not isinstance(v, bool)
             for v in values)  # fmt: skip
    return key if ok and len(values) > 1 else None


def plot_results(result, path):
    """Save a PNG of a run's AUROC.

    With one numeric option swept (e.g. the training contamination): AUROC
    against that option, one line per method, a panel per dataset and one
    for the mean over datasets. Otherwise: per-dataset AUROC of every method
    (a dataset per sweep combination) and the mean ranks.

    Parameters
    ----------
    result : BenchmarkResult
    path : str or path-like

    Returns
    -------
    path : pathlib.Path
    """
    sweep = getattr(result, "sweep", {}) or {}
    key = _numeric_sweep(sweep)
    if key is not None:
        return _plot_sweep(result, path, key, sweep[key])
    return _plot_datasets(result, path, sweep)


def _plot_sweep(result, path, key, values):
    datasets, methods = result.datasets, result.methods
    rows, _ = _grouped(result.rows, datasets, {key: values})
    summary = summarize(rows, "auroc")
    panels = [*datasets, None]  # None: mean over datasets
    n_cols = min(len(panels), 4)
    n_rows = -(-len(panels) // n_cols)
    fig = _figure(3.4 * n_cols + 2.6, 3.0 * n_rows)
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols, sharex=True, squeeze=False)).ravel()
    markers = "osD^vP*Xhp<>"
    families = {}
    for r in result.rows:
        families.setdefault(r["method"], r.get("family", ""))
    # values at their own x, or evenly spaced when one is None ("all") or
    # they span decades (training sizes 3k ... 100k)
    numbers_ = [v for v in values if v is not None]
    even = len(numbers_) < len(values) or (
        min(numbers_) > 0 and max(numbers_) / min(numbers_) > 100
    )
    xs = np.arange(len(values), dtype=float) if even else np.asarray(values, dtype=float)
    for ax, dataset in zip(axes, panels):
        for i, method in enumerate(methods):
            style = dict(
                color=f"C{i % 10}",
                marker=markers[i % len(markers)],
                ls="--" if families.get(method) == "pyod" else "-",
                label=method,
            )
            if dataset is None:
                ys = [
                    np.mean(vals) if len(vals := [
                        summary[((d, (v,)), method)][0]
                        for d in datasets if ((d, (v,)), method) in summary
                    ]) == len(datasets) else np.nan
                    for v in values
                ]  # fmt: skip
            else:
                ys = [summary.get(((dataset, (v,)), method), (np.nan,))[0] for v in values]
            ax.plot(xs, ys, **style)
        ax.set_title("mean over datasets" if dataset is None else _display(dataset))
        ax.set_xticks(xs, [_format_value(v, key) for v in values])
        ax.set_xlabel(f"training {key}")
        ax.grid(alpha=0.3)
    for ax in axes[: len(panels)][::n_cols]:
        ax.set_ylabel("test AUROC (mean over seeds)")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize="small")
    fig.suptitle(f"suite {result.suite.name}: AUROC against the training {key}")
    return _save(fig, path)


def _plot_datasets(result, path, sweep):
    methods = result.methods
    rows, datasets = _grouped(result.rows, result.datasets, sweep)

    def label(group):
        if not sweep:
            return _display(group)
        dataset, point = group
        return f"{_display(dataset)} ({', '.join(map(_format_value, point, sweep))})"

    summary = summarize(rows, "auroc")
    ranks = mean_ranks(summary, datasets, methods)
    width = max(8.0, 0.55 * len(datasets) + 5.0)
    fig = _figure(width, 4.8)
    left, right = fig.subplots(1, 2, width_ratios=[3, 1])
    markers = "osD^vP*Xhp<>"
    colors = [f"C{i % 10}" for i in range(len(methods))]
    offsets = np.linspace(-0.3, 0.3, len(methods)) if len(methods) > 1 else [0.0]
    for i, method in enumerate(methods):
        for j, dataset in enumerate(datasets):
            seeds = [
                r["auroc"]
                for r in rows
                if r["dataset"] == dataset and r["method"] == method and not r["error"]
            ]
            left.scatter(
                [j + offsets[i]] * len(seeds), seeds, s=8, color=colors[i], alpha=0.35, lw=0
            )
        xs = [j + offsets[i] for j, d in enumerate(datasets) if (d, method) in summary]
        ys = [summary[(d, method)][0] for d in datasets if (d, method) in summary]
        left.scatter(xs, ys, s=36, color=colors[i], marker=markers[i % len(markers)], label=method)
    left.set_xticks(range(len(datasets)), [label(d) for d in datasets], rotation=45, ha="right")
    left.set_ylabel("test AUROC (mean over seeds; faint: each seed)")
    left.axhline(0.5, color="grey", lw=0.8, ls=":")
    left.set_xlim(-0.5, len(datasets) - 0.5)
    left.set_title(f"suite {result.suite.name}: AUROC per dataset")
    left.legend(fontsize="small", ncols=2, loc="lower left")
    order = sorted((m for m in methods if not math.isnan(ranks[m])), key=ranks.get)
    right.barh(
        range(len(order)),
        [ranks[m] for m in order],
        color=[colors[methods.index(m)] for m in order],
    )
    right.set_yticks(range(len(order)), order)
    right.invert_yaxis()
    right.set_xlabel("mean rank (1 = best)")
    right.set_title("mean rank")
    return _save(fig, path)
