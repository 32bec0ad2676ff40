"""Line figures: accuracy against a swept task parameter (:func:`plot_sweep`) and validation
accuracy over training (:func:`plot_learning_curves`, Figure 4a; :func:`plot_delayed_generalisation`,
Figure 7)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.lines import Line2D

from .style import COLUMN_WIDTH, DIRECTION_STYLES, PAGE_WIDTH, objective_colour, plt, present, save, theme


def plot_sweep(table: pd.DataFrame, pdf_path: str | Path, parameter: str, objective_order: list[str], title: str,
               metric: str = "exact_match") -> None:
    """Accuracy against a swept task parameter, one line per objective, forward and backward."""
    theme()
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


def seed_interval(values: pd.Series, confidence: float = 0.95) -> tuple[float, float]:
    """The t interval of the mean over seeds (a validation curve records no per-question scores, so
    the seeds are the resampled unit here); (nan, nan) for one seed."""
    from scipy import stats  # noqa: PLC0415 (only the curve figures need it)

    n = values.count()
    if n < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * values.std(ddof=1) / n ** 0.5
    return float(values.mean() - half), float(values.mean() + half)


def _curve(ax, curve: pd.DataFrame, colour: str, linestyle: str = "-", label: str | None = None) -> None:
    """Mean over seeds against step; with several seeds, the 95% t interval of the mean shaded
    (clipped to 0-100)."""
    by_step = curve.groupby("step")["value"]
    stats = by_step.mean().sort_index().to_frame("mean")
    ax.plot(stats.index, stats["mean"], color=colour, linestyle=linestyle, marker="o", markersize=2.5, linewidth=1.3,
            label=label)
    if curve.seed.nunique() > 1:
        bounds = pd.DataFrame([seed_interval(v) for _, v in by_step], index=sorted(curve.step.unique()),
                              columns=["low", "high"]).clip(0, 100)
        ax.fill_between(bounds.index, bounds["low"], bounds["high"], color=colour, alpha=0.18, linewidth=0)


def plot_learning_curves(curves: pd.DataFrame, pdf_path: str | Path, objectives: list[str], title: str | None = None,
                         metric: str = "exact_match") -> None:
    """Paper Figure 4a: validation accuracy over training steps, one panel per direction, one line
    per objective (``curves``: :func:`..tables.read_curves`)."""
    theme()
    sub = curves[curves.metric == metric]
    directions = [d for d in ("forward", "backward") if d in set(sub.direction)]
    fig, axes = plt.subplots(1, len(directions), figsize=(PAGE_WIDTH, 2.5), sharey=True, squeeze=False)
    for ax, direction in zip(axes[0], directions):
        d = sub[sub.direction == direction]
        for objective in present(objectives, d.objective):
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
    save(fig, pdf_path)


def plot_delayed_generalisation(curves: pd.DataFrame, pdf_path: str | Path, tasks: list[str], objectives: list[str],
                                title: str | None = None, metric: str = "exact_match") -> None:
    """Paper Figure 7: forward (solid) and backward (dashed) validation accuracy over training steps,
    one panel per task, one colour per objective."""
    theme()
    sub = curves[curves.metric == metric]
    tasks = [t for t in tasks if t in set(sub.task)]
    if not tasks:
        raise ValueError(f"no learning curves of {metric} for the tasks asked")
    fig, axes = plt.subplots(1, len(tasks), figsize=(COLUMN_WIDTH * len(tasks), 2.7), sharey=True, squeeze=False)
    for ax, task in zip(axes[0], tasks):
        t = sub[sub.task == task]
        for objective in present(objectives, t.objective):
            for direction, style in DIRECTION_STYLES.items():
                c = t[(t.objective == objective) & (t.direction == direction)]
                if not c.empty:
                    _curve(ax, c, objective_colour(objective), style)
        ax.set_title(task, fontsize=9)
        ax.set_xlabel("training step")
        ax.set_ylim(-3, 103)
        ax.set_xlim(left=0)
    axes[0][0].set_ylabel(f"validation {metric.replace('_', ' ')} (%)")
    shown = present(objectives, sub.objective)
    handles = [Line2D([], [], color=objective_colour(o), linewidth=1.3, label=o) for o in shown]
    handles += [Line2D([], [], color="0.3", linestyle=s, linewidth=1.3, label=d) for d, s in DIRECTION_STYLES.items()]
    fig.legend(handles=handles, fontsize=7, loc="lower center", ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.3 / fig.get_figheight(), 1, 1))
    save(fig, pdf_path)


def plot_model_size(table: pd.DataFrame, pdf_path: str | Path, metric: str = "exact_match") -> None:
    """Accuracy against parameters (log scale), one line per objective scaled, forward solid and
    backward dashed, each point with its 95% interval (``table``: :func:`..model_size.model_size_table`)."""
    theme()
    sub = table[(table.metric == metric) & table.direction.isin(["forward", "backward"])]
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH + 0.6, 2.6))
    for base in dict.fromkeys(sub.base):
        for direction in ("forward", "backward"):
            d = sub[(sub.base == base) & (sub.direction == direction)].sort_values("parameters")
            if d.empty:
                continue
            ax.errorbar(d.parameters, d["mean"], yerr=[d["mean"] - d.low, d.high - d["mean"]], marker="o", markersize=3,
                        capsize=2, linewidth=1, color=objective_colour(base), linestyle=DIRECTION_STYLES[direction],
                        label=f"{base}, {direction}")
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel(f"{metric.replace('_', ' ')} (%)")
    ax.set_ylim(-3, 103)
    first = sub.iloc[0]
    ax.set_title(f"{first.task}: model size ({first.seeds} seed(s), test)", fontsize=9)
    ax.legend(fontsize=6, frameon=True, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    save(fig, pdf_path)
