"""Bar figures of the final test accuracy: per task (:func:`plot_forward_backward`), every task
at a glance (:func:`plot_overview`) and the star graph's Figure 5a (:func:`plot_stargraph`)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .style import (BACKWARD_HATCH, CHANCE_LINE, COLUMN_WIDTH, PAGE_WIDTH, PAPER_TICK, objective_colour, plt, present,
                    save, theme)


def _paper_values(paper: pd.DataFrame | None, results: str, metric: str, direction: str) -> dict[str, float]:
    """{objective: the paper's number} from :func:`paper.paper_cells` rows ({} without them)."""
    if paper is None or paper.empty:
        return {}
    sub = paper[(paper.results == results) & (paper.metric == metric) & (paper.direction == direction)]
    return dict(zip(sub.objective, sub.paper))


def _intervals(cells: pd.DataFrame, objectives: list[str]) -> pd.DataFrame:
    """mean, low, high by objective (in ``objectives``' order) of intervals-table rows of one direction."""
    return cells.drop_duplicates("objective").set_index("objective")[["mean", "low", "high"]].reindex(objectives)


def _error_bars(ax, x, stats: pd.DataFrame, **style) -> None:
    """The 95% intervals as error bars (cells without a measurement skipped)."""
    known = stats["mean"].notna().to_numpy()
    xs = [xi for xi, k in zip(x, known) if k]
    s = stats[known]
    if len(s):
        ax.errorbar(xs, s["mean"], yerr=[s["mean"] - s["low"], s["high"] - s["mean"]], fmt="none", ecolor="black",
                    capsize=2, linewidth=0.8, **style)


def plot_forward_backward(intervals: pd.DataFrame, pdf_path: str | Path, objective_order: list[str], title: str,
                          metric: str = "exact_match", chance: float | None = None,
                          variant_columns: list[str] | tuple = ()) -> None:
    """One panel per direction asked (forward, backward), in one row per variant where the table
    has ``variant_columns`` (e.g. WikiReversal's ``split_seeds``: same, different): bars of
    accuracy per objective (mean over seeds and questions) with their 95% intervals
    (``intervals``: an intervals table, :func:`..tables.interval_table`); ``chance`` (percent) is
    drawn as a dashed line."""
    theme()
    sub = intervals[(intervals.metric == metric) & intervals.direction.isin(["forward", "backward"])]
    objectives = [o for o in objective_order if o in set(sub.objective)]
    directions = [d for d in ("forward", "backward") if d in set(sub.direction)]
    labels = [", ".join(f"{c}: {v}" for c, v in zip(variant_columns, values))
              for values in zip(*(sub[c] for c in variant_columns))] if variant_columns else [""] * len(sub)
    sub = sub.assign(_variant=labels)
    variants = list(dict.fromkeys(sub._variant))
    width = 0.6 + 0.45 * len(objectives) * len(directions)
    narrowest = 3.3 if len(variants) == 1 else 4.5  # room for the row names
    fig, axes = plt.subplots(len(variants), len(directions), figsize=(max(narrowest, min(6.75, width)), 2.6 * len(variants)),
                             sharey=True, squeeze=False)
    for ax, (variant, direction) in zip(axes.flat, [(v, d) for v in variants for d in directions]):
        d = sub[(sub.direction == direction) & (sub._variant == variant)]
        stats = _intervals(d, objectives)
        x = range(len(objectives))
        ax.bar(x, stats["mean"], color=[objective_colour(o) for o in objectives], edgecolor="black", linewidth=0.4)
        _error_bars(ax, x, stats)
        for xi, v, top in zip(x, stats["mean"], stats["high"]):
            if pd.notna(v):
                ax.text(xi, top + 2, f"{v:.0f}", ha="center", va="bottom", fontsize=7)
        if chance is not None:
            ax.axhline(chance, color="black", linestyle="--", linewidth=0.8, label=f"chance ({chance:.0f}%)")
            ax.legend(loc="upper left", fontsize=7, frameon=True)
        ax.set_xticks(list(x), objectives, rotation=35, ha="right")
        ax.set_ylim(0, 114)
        if variant == variants[0]:
            ax.set_title(f"{direction.capitalize()} questions")
        ax.set_xlabel("training objective")
    for row, variant in zip(axes, variants):  # a row per variant, named beside its first panel
        row[0].set_ylabel((f"{variant}\n" if variant else "") + f"{metric.replace('_', ' ')} (%)")
    fig.suptitle(textwrap.fill(title + " (bars: 95% intervals over facts and seeds)", width=int(11 * fig.get_figwidth())),
                 fontsize=10)
    fig.tight_layout()
    Path(pdf_path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(pdf_path)
    plt.close(fig)


def plot_overview(tables: dict[str, pd.DataFrame], pdf_path: str | Path, objective_order: dict[str, list[str]],
                  chance: dict[str, float | None] | None = None, paper: pd.DataFrame | None = None,
                  metric: str = "exact_match") -> None:
    """Every task and objective at a glance: one panel per task (``tables``: its intervals table),
    a pair of bars per objective (forward solid, backward hatched; mean over seeds and questions,
    with the 95% interval), the paper's numbers as black ticks (``paper``: rows of
    :func:`paper.paper_cells`, matched by task name) and chance levels dashed."""
    theme()
    chance = chance or {}
    tasks = list(tables)
    ncols = 1 if len(tasks) == 1 else 2
    nrows = math.ceil(len(tasks) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH, 2.35 * nrows + 0.4), squeeze=False)
    width = 0.4
    for ax, task in zip(axes.flat, tasks):
        sub = tables[task][tables[task].metric == metric]
        objectives = present(objective_order.get(task, []), sub.objective)
        directions = [d for d in ("forward", "backward") if d in set(sub.direction)]
        for k, direction in enumerate(directions):
            offset = (k - (len(directions) - 1) / 2) * width
            paper_values = _paper_values(paper, task, metric, direction)
            stats = _intervals(sub[sub.direction == direction], objectives)
            _error_bars(ax, [x + offset for x in range(len(objectives))], stats, zorder=3)
            for x, objective in enumerate(objectives):
                value = stats["mean"][objective]
                colour = objective_colour(objective)
                if direction == "backward":
                    ax.bar(x + offset, value, width, facecolor=sns.desaturate(colour, 0.6) + (0.35,), edgecolor=colour,
                           hatch=BACKWARD_HATCH, linewidth=0.8)
                else:
                    ax.bar(x + offset, value, width, color=colour, edgecolor="black", linewidth=0.4)
                if objective in paper_values:
                    ax.scatter([x + offset], [paper_values[objective]], **PAPER_TICK)
        if chance.get(task) is not None:
            ax.axhline(chance[task], **CHANCE_LINE)
        ax.set_xticks(range(len(objectives)), objectives, rotation=35, ha="right", fontsize=7)
        ax.set_xlim(-0.6, len(objectives) - 0.4)
        ax.set_ylim(-4, 106)  # the paper's ticks at 0 stay visible above the axis
        ax.set_title(task, fontsize=9)
        ax.set_ylabel(f"{metric.replace('_', ' ')} (%)")
    for ax in axes.flat[len(tasks):]:
        ax.set_visible(False)
    handles = [Patch(facecolor="0.45", edgecolor="black", linewidth=0.4, label="forward"),
               Patch(facecolor=(0.7, 0.7, 0.7, 0.35), edgecolor="0.35", hatch=BACKWARD_HATCH, label="backward"),
               Line2D([], [], color="black", marker="_", linestyle="none", markersize=9, markeredgewidth=1.6,
                      label="paper"),
               Line2D([], [], color="black", linewidth=0.8, label="95% interval")]
    if any(v is not None for v in chance.values()):
        handles.append(Line2D([], [], label="chance", **CHANCE_LINE))
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False, fontsize=8,
               bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))
    save(fig, pdf_path)


def plot_stargraph(table: pd.DataFrame, pdf_path: str | Path, objective_order: list[str], chance: float | None = None,
                   paper: dict[str, float] | None = None, metric: str = "exact_match") -> None:
    """Paper Figure 5a: accuracy of the whole path per objective (bars: mean over seeds and graphs,
    with the 95% interval; ``table``: the task's intervals table), the chance level of a random
    first step (dashed) and the paper's numbers (ticks)."""
    theme()
    paper = paper or {}
    sub = table[(table.metric == metric) & (table.direction == "forward")]
    objectives = present(objective_order, sub.objective)
    stats = _intervals(sub, objectives)
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.8))
    x = list(range(len(objectives)))
    ax.bar(x, stats["mean"], 0.6, color=[objective_colour(o) for o in objectives], edgecolor="black", linewidth=0.4)
    _error_bars(ax, x, stats)
    for xi, objective, value in zip(x, objectives, stats["mean"]):
        if pd.notna(value):  # above the bar, its interval and the paper's tick
            top = max(value, paper.get(objective, value), stats["high"][objective])
            ax.text(xi, top + 2.5, f"{value:.0f}", ha="center", va="bottom", fontsize=7)
    handles = []
    ticks = [(xi, paper[o]) for xi, o in zip(x, objectives) if o in paper]
    if ticks:
        ax.scatter(*zip(*ticks), **PAPER_TICK)
        handles.append(Line2D([], [], color="black", marker="_", linestyle="none", markersize=9, markeredgewidth=1.6,
                              label="paper"))
    if chance is not None:
        ax.axhline(chance, **CHANCE_LINE)
        handles.append(Line2D([], [], label=f"chance ({chance:.0f}%)", **CHANCE_LINE))
    ax.set_xticks(x, objectives, rotation=30, ha="right")  # ids such as mlm-u-sink would overlap flat
    ax.set_ylim(0, 114)
    ax.set_yticks(range(0, 101, 20))
    ax.set_xlabel("training objective")
    ax.set_ylabel(f"{metric.replace('_', ' ')} of the path (%)")
    handles.append(Line2D([], [], color="black", linewidth=0.8, label="95% interval"))
    if handles:
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles), frameon=False,
                  fontsize=7)
    fig.tight_layout()
    save(fig, pdf_path)


def plot_factorization_gap(table: pd.DataFrame, pdf_path: str | Path, objective_order: list[str]) -> None:
    """One panel per task: for each order other than left to right, a bar per objective of its
    factorization gap (per-token NLL along the order minus left to right, nats) with the 95%
    interval (``table``: :func:`..factorization_gap.gap_table`). Near 0: the model learned the
    joint distribution; large: only the left-to-right factorization."""
    theme()
    sub = table[table.order != "left-to-right"]
    tasks = list(dict.fromkeys(sub.task))
    orders = list(dict.fromkeys(sub.order))
    fig, axes = plt.subplots(1, len(tasks), figsize=(min(PAGE_WIDTH, 1.0 + 3.2 * len(tasks)), 2.8), squeeze=False,
                             sharey=True)
    for ax, task in zip(axes.flat, tasks):
        cells = sub[sub.task == task]
        objectives = present(objective_order, cells.objective)
        width = 0.8 / max(len(objectives), 1)
        for k, objective in enumerate(objectives):
            stats = cells[cells.objective == objective].set_index("order").reindex(orders)
            x = [i + (k - (len(objectives) - 1) / 2) * width for i in range(len(orders))]
            ax.bar(x, stats["gap"], width=width, color=objective_colour(objective), edgecolor="black", linewidth=0.4,
                   label=objective)
            _error_bars(ax, x, stats.rename(columns={"gap": "mean", "gap_low": "low", "gap_high": "high"}))
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(range(len(orders)), orders, rotation=30, ha="right")
        first = cells.iloc[0]
        ax.set_title(f"{task} ({first.facts} facts, {first.seeds} seed(s))")
    axes.flat[0].set_ylabel("NLL(order) − NLL(left to right)\n(nats per token)")
    axes.flat[-1].legend(fontsize=7, frameon=True, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    save(fig, pdf_path)
