"""Figures. One colour per objective, the same in every figure (``objective_colour``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

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
}
_SPARE = ["#999999", "#332288", "#117733", "#882255", "#44AA99", "#DDCC77"]


def objective_colour(objective: str) -> str:
    if objective in OBJECTIVE_COLOURS:
        return OBJECTIVE_COLOURS[objective]
    return _SPARE[sum(map(ord, objective)) % len(_SPARE)]


def _theme():
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.0)


def plot_forward_backward(table: pd.DataFrame, pdf_path: str | Path, objective_order: list[str], title: str,
                          metric: str = "exact_match", chance: float | None = None) -> None:
    """One panel per direction asked (forward, backward): bars of accuracy per objective, mean and
    seed range; ``chance`` (percent) is drawn as a dashed line."""
    _theme()
    sub = table[table.metric == metric]
    objectives = [o for o in objective_order if o in set(sub.objective)]
    directions = [d for d in ("forward", "backward") if d in set(sub.direction)]
    width = 0.6 + 0.45 * len(objectives) * len(directions)
    fig, axes = plt.subplots(1, len(directions), figsize=(max(3.3, min(6.75, width)), 2.6), sharey=True, squeeze=False)
    axes = axes[0]
    for ax, direction in zip(axes, directions):
        d = sub[sub.direction == direction]
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
        ax.set_title(f"{direction.capitalize()} questions")
        ax.set_xlabel("training objective")
    axes[0].set_ylabel(f"{metric.replace('_', ' ')} (%)")
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
