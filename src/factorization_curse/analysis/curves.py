"""Numbers read off the learning curves (validation accuracy during training) for the report.

:func:`curve_observations`: per curve the final value, when it reached 90% of it and the gain over
the last quarter of training (Figure 7: backward generalises later); :func:`dominance`: at how many
evaluations one objective is at or above the others (Figure 4a). :func:`figure_observations` turns
them into the report's sentences for a figure whose registry entry names what to ``observe``.
"""

from __future__ import annotations

import math

import pandas as pd

from .comparisons import DIRECTION_ORDER, order
from .tables import read_curves


def curve_observations(curves: pd.DataFrame, metric: str = "exact_match") -> pd.DataFrame:
    """Per (task, objective, direction), from the mean over seeds of validation accuracy during
    training: the final value, the first step reaching 90% of it, and the gain over the last
    quarter of training (still rising if positive)."""
    sub = curves[curves.metric == metric]
    rows = []
    present = set(zip(sub.task, sub.objective, sub.direction))
    keys = [(t, o, d) for t in dict.fromkeys(sub.task) for o in dict.fromkeys(sub.objective)
            for d in order(sub.direction, DIRECTION_ORDER) if (t, o, d) in present]
    for task, objective, direction in keys:
        g = sub[(sub.task == task) & (sub.objective == objective) & (sub.direction == direction)]
        mean = g.groupby("step")["value"].mean().sort_index()
        final, last = mean.iloc[-1], mean.index[-1]
        reached = mean[mean >= 0.9 * final]
        earlier = mean[mean.index <= 0.75 * last]
        rows.append({"task": task, "objective": objective, "direction": direction, "final": final, "last_step": last,
                     "step_90": reached.index[0] if final > 0 and len(reached) else math.nan,
                     "gain_last_quarter": final - earlier.iloc[-1] if len(earlier) else math.nan})
    return pd.DataFrame(rows, columns=["task", "objective", "direction", "final", "last_step", "step_90", "gain_last_quarter"])


def dominance(curves: pd.DataFrame, leader: str, others: list[str], metric: str = "exact_match") -> pd.DataFrame:
    """Per (other objective, direction): at how many of the common evaluation steps ``leader``'s
    mean accuracy is at least the other's."""
    sub = curves[curves.metric == metric]
    mean = sub.groupby(["objective", "direction", "step"])["value"].mean()
    rows = []
    for other in others:
        for direction in order(sub.direction, DIRECTION_ORDER):
            try:
                a, b = mean.loc[(leader, direction)], mean.loc[(other, direction)]
            except KeyError:
                continue
            steps = a.index.intersection(b.index)
            rows.append({"other": other, "direction": direction, "evaluations": len(steps),
                         "leader_at_least": int((a[steps] >= b[steps]).sum())})
    return pd.DataFrame(rows, columns=["other", "direction", "evaluations", "leader_at_least"])


def run_curves(runs: list[dict], tasks: list[str], objectives: list[str]) -> pd.DataFrame:
    """:func:`.tables.read_curves` of the runs (dicts with task, objective, seed, metrics) of
    the given tasks and objectives."""
    picked = [r for r in runs if r["task"] in tasks and r["objective"] in objectives
              and r.get("dataset", r["task"]) == r["task"]]  # the task's own runs, not its variants
    return read_curves([r["metrics"] for r in picked], picked)


def figure_observations(figure: dict, runs: list[dict]) -> list[str]:
    """Sentences with numbers read off a learning-curve figure's runs (none for other figures)."""
    kind = figure.get("observe")
    if not kind:
        return []
    tasks = figure.get("tasks") or [figure["task"]]
    data = run_curves(runs, tasks, figure["objectives"])
    if data.empty:
        return []
    out = []
    if kind == "dominance":
        leader = figure["leader"]
        for row in dominance(data, leader, figure["others"]).itertuples():
            out.append(f"{leader} at or above {row.other} ({row.direction}) at {row.leader_at_least} of "
                       f"{row.evaluations} evaluations.")
    elif kind == "delay":
        for row in curve_observations(data).itertuples():
            reach = "never above 0" if pd.isna(row.step_90) else f"90% of that first reached at step {row.step_90:g}"
            out.append(f"{row.task}, {row.objective}, {row.direction}: {row.final:.1f}% at step {row.last_step:g} "
                       f"({reach}; {row.gain_last_quarter:+.1f} points over the last quarter of training).")
    return out
