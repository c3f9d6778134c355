"""Reports of a benchmark run: markdown tables and a plot."""

import math
from pathlib import Path

import numpy as np
import torch
from scipy.stats import rankdata

from ..datasets._adbench import _short_name
from ._runner import machine_description

_METRICS = {"auroc": "AUROC", "average_precision": "Average precision"}
_SHORT = {"auroc": "AUROC", "average_precision": "AP"}


def _display(dataset):
    return dataset.removeprefix("embedded:")


def _key(dataset):
    return _short_name(dataset.removeprefix("embedded:"))


def summarize(rows, metric="auroc"):
    """Mean, std and count of ``metric`` per ``(dataset, method)``.

    Parameters
    ----------
    rows : list of dict
        Result rows (failed cells are ignored).
    metric : {"auroc", "average_precision", "fit_seconds", "score_seconds"}

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


def mean_ranks(summary, datasets, methods):
    """Mean rank of each method over datasets (1 = best, ties averaged).

    On each dataset the methods with a value are ranked by their mean score,
    higher first; a method's mean rank averages over the datasets where it
    has a value.
    """
    ranks = {m: [] for m in methods}
    for dataset in datasets:
        present = [m for m in methods if (dataset, m) in summary]
        if not present:
            continue
        order = rankdata([-summary[(dataset, m)][0] for m in present], method="average")
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


def markdown_table(rows, *, datasets, methods, metric="auroc", reference=None):
    """Markdown table of ``metric`` (mean ± std over seeds) per dataset and method.

    The best mean of each dataset is in bold. Two closing rows give each
    method's mean over datasets and its mean rank. ``reference`` values
    (``{(dataset, method): value}``, the papers' numbers) add a
    ``"<method> (paper)"`` column beside each method that has some.

    Returns
    -------
    table : str
    """
    reference = reference or {}
    summary = summarize(rows, metric)
    with_reference = {
        m for m in methods if any(_reference_value(reference, d, m) is not None for d in datasets)
    }
    header = ["dataset"]
    for method in methods:
        header.append(method)
        if method in with_reference:
            header.append(f"{method} (paper)")
    lines = [_row(header), _row(["---"] + ["---:"] * (len(header) - 1))]
    for dataset in datasets:
        means = [summary[(dataset, m)][0] for m in methods if (dataset, m) in summary]
        best = max(means) if means else None
        cells = [_display(dataset)]
        for method in methods:
            if (dataset, method) in summary:
                mean, std, n = summary[(dataset, method)]
                text = f"{mean:.3f} ± {std:.3f}" if n > 1 else f"{mean:.3f}"
                cells.append(f"**{text}**" if mean == best else text)
            else:
                cells.append("—")
            if method in with_reference:
                cells.append(_format_reference(_reference_value(reference, dataset, method)))
        lines.append(_row(cells))
    ranks = mean_ranks(summary, datasets, methods)
    mean_cells, rank_cells = [f"mean {_SHORT.get(metric, metric)}"], ["mean rank"]
    for method in methods:
        values = [summary[(d, method)][0] for d in datasets if (d, method) in summary]
        mean_cells.append(f"{np.mean(values):.3f}" if values else "—")
        rank_cells.append(f"{ranks[method]:.2f}" if values else "—")
        if method in with_reference:
            mean_cells.append("")
            rank_cells.append("")
    lines += [_row(mean_cells), _row(rank_cells)]
    return "\n".join(lines)


def time_table(rows, *, methods):
    """Markdown table of the seconds each method took per cell.

    ``fit s`` and ``score s`` are wall-clock means; ``CPU s`` is the mean
    process CPU time of fit + score, which a machine shared with other work
    inflates much less than wall time; ``total s`` sums the wall time.
    """
    lines = [
        _row(["method", "fit s", "score s", "CPU s", "total s", "cells", "failed"]),
        _row(["---", "---:", "---:", "---:", "---:", "---:", "---:"]),
    ]
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        ok = [r for r in mine if not r["error"]]
        fit = [r["fit_seconds"] for r in ok]
        score = [r["score_seconds"] for r in ok]
        cpu = [r["cpu_seconds"] for r in ok if not math.isnan(r["cpu_seconds"])]
        lines.append(
            _row(
                [
                    method,
                    f"{np.mean(fit):.2f}" if fit else "—",
                    f"{np.mean(score):.3f}" if score else "—",
                    f"{np.mean(cpu):.2f}" if cpu else "—",
                    f"{np.sum(fit) + np.sum(score):.1f}",
                    str(len(ok)),
                    str(len(mine) - len(ok)),
                ]
            )
        )
    return "\n".join(lines)


def markdown_report(result):
    """The full markdown report of a :class:`BenchmarkResult`."""
    suite = result.suite
    options = ", ".join(f"{k}={v}" for k, v in sorted(result.config.items())) or "defaults"
    scale = {"standard": "standardised", "minmax": "min-max scaled"}.get(suite.scale)
    n_cells = len(result.datasets) * len(result.methods) * len(result.seeds)
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
            f"- Protocol `{suite.protocol}` ({options}); features {scaling}; "
            f"seeds {', '.join(map(str, result.seeds))}."
        ),
        (
            f"- {len(result.datasets)} datasets x {len(result.methods)} methods x "
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
            ),
        ]
    lines += [
        "",
        "### Seconds per cell (mean over cells)",
        "",
        time_table(result.rows, methods=result.methods),
    ]
    if result.errors:
        lines += ["", f"### Failed cells ({len(result.errors)})", ""]
        lines += [
            f"- {_display(r['dataset'])} / {r['method']} / seed {r['seed']}: {r['error']}"
            for r in result.errors
        ]
    return "\n".join(lines) + "\n"


def plot_results(result, path):
    """Save a PNG: per-dataset AUROC of every method, and the mean ranks.

    Parameters
    ----------
    result : BenchmarkResult
    path : str or path-like

    Returns
    -------
    path : pathlib.Path
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError("Plotting needs matplotlib: pip install matplotlib.") from exc

    datasets, methods = result.datasets, result.methods
    summary = summarize(result.rows, "auroc")
    ranks = mean_ranks(summary, datasets, methods)
    width = max(8.0, 0.55 * len(datasets) + 5.0)
    fig = Figure(figsize=(width, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=[3, 1])
    markers = "osD^vP*Xhp<>"
    colors = [f"C{i % 10}" for i in range(len(methods))]
    offsets = np.linspace(-0.3, 0.3, len(methods)) if len(methods) > 1 else [0.0]
    for i, method in enumerate(methods):
        for j, dataset in enumerate(datasets):
            seeds = [
                r["auroc"]
                for r in result.rows
                if r["dataset"] == dataset and r["method"] == method and not r["error"]
            ]
            left.scatter(
                [j + offsets[i]] * len(seeds), seeds, s=8, color=colors[i], alpha=0.35, lw=0
            )
        xs = [j + offsets[i] for j, d in enumerate(datasets) if (d, method) in summary]
        ys = [summary[(d, method)][0] for d in datasets if (d, method) in summary]
        left.scatter(xs, ys, s=36, color=colors[i], marker=markers[i % len(markers)], label=method)
    left.set_xticks(range(len(datasets)), [_display(d) for d in datasets], rotation=45, ha="right")
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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
