"""Figures. One colour per objective, the same in every figure (``objective_colour``).

All figures use the seaborn ``paper`` theme, are sized for a paper column (3.3 in) or the page
width (6.75 in), and are written as vector PDF. Per task: :func:`plot_forward_backward`. The
paper's figures: :func:`plot_overview` (every task and objective), :func:`plot_learning_curves`
(Figure 4a), :func:`plot_entity_pca` (Figures 4b, 4c), :func:`plot_stargraph` (Figure 5a),
:func:`plot_delayed_generalisation` (Figure 7). Sweeps: :func:`plot_sweep`.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# Fixed colours for the paper's objectives (colour-blind-safe palette); others get the rest.
OBJECTIVE_COLOURS = {
    "ar": "#0072B2",
    "ar-rev": "#56B4E9",
    "ar-rev-ent": "#009E73",
    "ar-rev-ent-nodelim": "#8FD1B9",
    "mlm-15": "#E69F00",
    "mlm-40": "#D55E00",
    "mlm-85": "#A6761D",
    "mlm-u": "#CC79A7",
    "plm": "#6A3D9A",
    # the <bos>-position ablation (model.bos_position: sink)
    "ar-sink": "#332288",
    "mlm-15-sink": "#DDCC77",
    "mlm-u-sink": "#44AA99",
}
_SPARE = ["#999999", "#117733", "#882255", "#AA4499", "#88CCEE", "#661100"]


def objective_colour(objective: str) -> str:
    if objective in OBJECTIVE_COLOURS:
        return OBJECTIVE_COLOURS[objective]
    return _SPARE[sum(map(ord, objective)) % len(_SPARE)]


COLUMN_WIDTH, PAGE_WIDTH = 3.3, 6.75  # inches
PAPER_TICK = dict(marker="_", s=90, color="black", linewidths=1.6, zorder=4)  # the paper's number on a bar
CHANCE_LINE = dict(color="black", linestyle="--", linewidth=0.8)
BACKWARD_HATCH = "////"
DIRECTION_STYLES = {"forward": "-", "backward": "--"}


def _theme():
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.0)
    plt.rcParams["hatch.linewidth"] = 0.6
    plt.rcParams["pdf.fonttype"] = 42  # TrueType fonts in the PDFs: text stays text (searchable, editable)


def _save(fig, pdf_path: str | Path) -> None:
    Path(pdf_path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(pdf_path, bbox_inches="tight")
    plt.close(fig)


def _present(order: list[str], available) -> list[str]:
    available = list(dict.fromkeys(available))
    return [o for o in order if o in available] + [o for o in available if o not in order]


def _paper_values(paper: pd.DataFrame | None, results: str, metric: str, direction: str) -> dict[str, float]:
    """{objective: the paper's number} from :func:`paper.paper_cells` rows ({} without them)."""
    if paper is None or paper.empty:
        return {}
    sub = paper[(paper.results == results) & (paper.metric == metric) & (paper.direction == direction)]
    return dict(zip(sub.objective, sub.paper))


def plot_forward_backward(table: pd.DataFrame, pdf_path: str | Path, objective_order: list[str], title: str,
                          metric: str = "exact_match", chance: float | None = None,
                          variant_columns: list[str] | tuple = ()) -> None:
    """One panel per direction asked (forward, backward), in one row per variant where the table
    has ``variant_columns`` (e.g. WikiReversal's ``split_seeds``: same, different): bars of
    accuracy per objective, mean and seed range; ``chance`` (percent) is drawn as a dashed line."""
    _theme()
    sub = table[table.metric == metric]
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
        stats = d.groupby("objective")["value"].agg(["mean", "min", "max"]).reindex(objectives)
        x = range(len(objectives))
        ax.bar(x, stats["mean"], color=[objective_colour(o) for o in objectives], edgecolor="black", linewidth=0.4)
        if d.seed.nunique() > 1:
            ax.errorbar(x, stats["mean"], yerr=[stats["mean"] - stats["min"], stats["max"] - stats["mean"]],
                        fmt="none", ecolor="black", capsize=2, linewidth=0.8)
        for xi, v in zip(x, stats["mean"]):
            if pd.notna(v):
                ax.text(xi, v + 2, f"{v:.0f}", ha="center", va="bottom", fontsize=7)
        if chance is not None:
            ax.axhline(chance, color="black", linestyle="--", linewidth=0.8, label=f"chance ({chance:.0f}%)")
            ax.legend(loc="upper left", fontsize=7, frameon=True)
        ax.set_xticks(list(x), objectives, rotation=35, ha="right")
        ax.set_ylim(0, 112)
        if variant == variants[0]:
            ax.set_title(f"{direction.capitalize()} questions")
        ax.set_xlabel("training objective")
    for row, variant in zip(axes, variants):  # a row per variant, named beside its first panel
        row[0].set_ylabel((f"{variant}\n" if variant else "") + f"{metric.replace('_', ' ')} (%)")
    fig.suptitle(textwrap.fill(title, width=int(11 * fig.get_figwidth())), fontsize=10)
    fig.tight_layout()
    Path(pdf_path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(pdf_path)
    plt.close(fig)


def plot_sweep(table: pd.DataFrame, pdf_path: str | Path, parameter: str, objective_order: list[str], title: str,
               metric: str = "exact_match") -> None:
    """Accuracy against a swept task parameter, one line per objective, forward and backward."""
    _theme()
    sub = table[table.metric == metric]
    fig, axes = plt.subplots(1, 2, figsize=(6.75, 2.6), sharey=True)
    for ax, direction in zip(axes, ("forward", "backward")):
        d = sub[sub.direction == direction]
        for objective in [o for o in objective_order if o in set(d.objective)]:
            s = d[d.objective == objective].groupby(parameter)["value"].mean().sort_index()
            ax.plot(s.index, s.values, marker="o", color=objective_colour(objective), label=objective)
        ax.set_title(f"{direction.capitalize()} questions")
        ax.set_xlabel(parameter.replace("_", " ") + " (tokens)" if "length" in parameter else parameter)
        ax.set_ylim(-3, 103)
    axes[0].set_ylabel(f"{metric.replace('_', ' ')} (%)")
    axes[1].legend(title="objective", fontsize=7, title_fontsize=7, loc="best")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    Path(pdf_path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(pdf_path)
    plt.close(fig)


def plot_overview(tables: dict[str, pd.DataFrame], pdf_path: str | Path, objective_order: dict[str, list[str]],
                  chance: dict[str, float | None] | None = None, paper: pd.DataFrame | None = None,
                  metric: str = "exact_match") -> None:
    """Every task and objective at a glance: one panel per task, a pair of bars per objective
    (forward solid, backward hatched; mean over seeds), the paper's numbers as black ticks
    (``paper``: rows of :func:`paper.paper_cells`, matched by task name) and chance levels dashed."""
    _theme()
    chance = chance or {}
    tasks = list(tables)
    ncols = 1 if len(tasks) == 1 else 2
    nrows = math.ceil(len(tasks) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(PAGE_WIDTH, 2.35 * nrows + 0.4), squeeze=False)
    width = 0.4
    for ax, task in zip(axes.flat, tasks):
        sub = tables[task][tables[task].metric == metric]
        objectives = _present(objective_order.get(task, []), sub.objective)
        directions = [d for d in ("forward", "backward") if d in set(sub.direction)]
        means = sub.groupby(["direction", "objective"])["value"].mean()
        for k, direction in enumerate(directions):
            offset = (k - (len(directions) - 1) / 2) * width
            paper_values = _paper_values(paper, task, metric, direction)
            for x, objective in enumerate(objectives):
                value = means.get((direction, objective), float("nan"))
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
                      label="paper")]
    if any(v is not None for v in chance.values()):
        handles.append(Line2D([], [], label="chance", **CHANCE_LINE))
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False, fontsize=8,
               bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))
    _save(fig, pdf_path)


def plot_stargraph(table: pd.DataFrame, pdf_path: str | Path, objective_order: list[str], chance: float | None = None,
                   paper: dict[str, float] | None = None, metric: str = "exact_match") -> None:
    """Paper Figure 5a: accuracy of the whole path per objective (bars, mean over seeds with the
    seed range), the chance level of a random first step (dashed) and the paper's numbers (ticks)."""
    _theme()
    paper = paper or {}
    sub = table[(table.metric == metric) & (table.direction == "forward")]
    objectives = _present(objective_order, sub.objective)
    stats = sub.groupby("objective")["value"].agg(["mean", "min", "max"]).reindex(objectives)
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.5))
    x = list(range(len(objectives)))
    ax.bar(x, stats["mean"], 0.6, color=[objective_colour(o) for o in objectives], edgecolor="black", linewidth=0.4)
    if sub.seed.nunique() > 1:
        ax.errorbar(x, stats["mean"], yerr=[stats["mean"] - stats["min"], stats["max"] - stats["mean"]], fmt="none",
                    ecolor="black", capsize=2, linewidth=0.8)
    for xi, objective, value in zip(x, objectives, stats["mean"]):
        if pd.notna(value):  # above the bar and the paper's tick
            top = max(value, paper.get(objective, value), stats["max"][objective])
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
    ax.set_xticks(x, objectives)
    ax.set_ylim(0, 114)
    ax.set_yticks(range(0, 101, 20))
    ax.set_xlabel("training objective")
    ax.set_ylabel(f"{metric.replace('_', ' ')} of the path (%)")
    if handles:
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles), frameon=False,
                  fontsize=7)
    fig.tight_layout()
    _save(fig, pdf_path)


def _curve(ax, curve: pd.DataFrame, colour: str, linestyle: str = "-", label: str | None = None) -> None:
    """Mean over seeds against step; the range over seeds shaded when there are several."""
    stats = curve.groupby("step")["value"].agg(["mean", "min", "max", "count"]).sort_index()
    ax.plot(stats.index, stats["mean"], color=colour, linestyle=linestyle, marker="o", markersize=2.5, linewidth=1.3,
            label=label)
    if curve.seed.nunique() > 1:
        ax.fill_between(stats.index, stats["min"], stats["max"], color=colour, alpha=0.18, linewidth=0)


def plot_learning_curves(curves: pd.DataFrame, pdf_path: str | Path, objectives: list[str], title: str | None = None,
                         metric: str = "exact_match") -> None:
    """Paper Figure 4a: validation accuracy over training steps, one panel per direction, one line
    per objective (``curves``: :func:`aggregation.read_curves`)."""
    _theme()
    sub = curves[curves.metric == metric]
    directions = [d for d in ("forward", "backward") if d in set(sub.direction)]
    fig, axes = plt.subplots(1, len(directions), figsize=(PAGE_WIDTH, 2.5), sharey=True, squeeze=False)
    for ax, direction in zip(axes[0], directions):
        d = sub[sub.direction == direction]
        for objective in _present(objectives, d.objective):
            _curve(ax, d[d.objective == objective], objective_colour(objective), label=objective)
        ax.set_title(f"{direction.capitalize()} questions", fontsize=9)
        ax.set_xlabel("training step")
        ax.set_ylim(-3, 103)
        ax.set_xlim(left=0)
    axes[0][0].set_ylabel(f"validation {metric.replace('_', ' ')} (%)")
    axes[0][-1].legend(title="objective", fontsize=7, title_fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5),
                       frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, pdf_path)


def plot_delayed_generalisation(curves: pd.DataFrame, pdf_path: str | Path, tasks: list[str], objectives: list[str],
                                title: str | None = None, metric: str = "exact_match") -> None:
    """Paper Figure 7: forward (solid) and backward (dashed) validation accuracy over training steps,
    one panel per task, one colour per objective."""
    _theme()
    sub = curves[curves.metric == metric]
    tasks = [t for t in tasks if t in set(sub.task)]
    if not tasks:
        raise ValueError(f"no learning curves of {metric} for the tasks asked")
    fig, axes = plt.subplots(1, len(tasks), figsize=(COLUMN_WIDTH * len(tasks), 2.7), sharey=True, squeeze=False)
    for ax, task in zip(axes[0], tasks):
        t = sub[sub.task == task]
        for objective in _present(objectives, t.objective):
            for direction, style in DIRECTION_STYLES.items():
                c = t[(t.objective == objective) & (t.direction == direction)]
                if not c.empty:
                    _curve(ax, c, objective_colour(objective), style)
        ax.set_title(task, fontsize=9)
        ax.set_xlabel("training step")
        ax.set_ylim(-3, 103)
        ax.set_xlim(left=0)
    axes[0][0].set_ylabel(f"validation {metric.replace('_', ' ')} (%)")
    present = _present(objectives, sub.objective)
    handles = [Line2D([], [], color=objective_colour(o), linewidth=1.3, label=o) for o in present]
    handles += [Line2D([], [], color="0.3", linestyle=s, linewidth=1.3, label=d) for d, s in DIRECTION_STYLES.items()]
    fig.legend(handles=handles, fontsize=7, loc="lower center", ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.3 / fig.get_figheight(), 1, 1))
    _save(fig, pdf_path)


ROLE_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "h"]


def plot_entity_pca(points: pd.DataFrame, pdf_path: str | Path, objective: str, title: str | None = None) -> None:
    """Paper Figures 4b/4c: entities on their first two principal components (``points``: the table
    of :func:`representations.entity_pca`); filled markers for entities of facts whose questions
    were trained, open markers for held-out facts, one marker shape per place in the statement."""
    _theme()
    colour = objective_colour(objective)
    roles = sorted(points.role.unique())
    markers = {r: ROLE_MARKERS[i % len(ROLE_MARKERS)] for i, r in enumerate(roles)}
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 3.1))
    for role in roles:
        train = points[(points.role == role) & (points.split == "train")]
        test = points[(points.role == role) & (points.split == "test")]
        ax.scatter(train.pc1, train.pc2, s=12, marker=markers[role], color=colour, alpha=0.55, linewidths=0)
        ax.scatter(test.pc1, test.pc2, s=18, marker=markers[role], facecolors="none", edgecolors="black",
                   linewidths=0.7, zorder=3)
    ax.set_xlabel(f"PC1 ({100 * points.pc1_variance.iloc[0]:.0f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * points.pc2_variance.iloc[0]:.0f}% of variance)")
    handles = [Line2D([], [], marker=markers[r], color="0.4", linestyle="none", markersize=5, label=f"entity {r}")
               for r in roles]
    handles += [Line2D([], [], marker="o", color=colour, alpha=0.7, linestyle="none", markersize=5, label="trained facts"),
                Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor="black", linestyle="none",
                       markersize=5, label="held-out facts")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False, fontsize=7)
    ax.set_title(title or f"{objective}: entity representations", fontsize=9)
    fig.tight_layout()
    _save(fig, pdf_path)
