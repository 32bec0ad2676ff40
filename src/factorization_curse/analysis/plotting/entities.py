"""Figures 4b/4c: entity representations on their first two principal components."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.lines import Line2D

from .style import COLUMN_WIDTH, objective_colour, plt, save, theme

ROLE_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "h"]


def plot_entity_pca(points: pd.DataFrame, pdf_path: str | Path, objective: str, title: str | None = None) -> None:
    """Paper Figures 4b/4c: entities on their first two principal components (``points``: the table
    of :func:`representations.entity_pca`); filled markers for entities of facts whose questions
    were trained, open markers for held-out facts, one marker shape per place in the statement."""
    theme()
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
    save(fig, pdf_path)
