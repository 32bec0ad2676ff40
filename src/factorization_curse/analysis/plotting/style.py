"""The figures' common style: one colour per objective, the same in every figure
(:func:`objective_colour`), the seaborn ``paper`` theme, a paper column (3.3 in) or the page width
(6.75 in), and vector PDF with text kept as text."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
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
    # the <bos>-position ablation (model.bos_position: sink)
    "ar-sink": "#332288",
    "mlm-15-sink": "#DDCC77",
    "mlm-u-sink": "#44AA99",
    # objectives published since the paper (target newer_objectives)
    "mlm-u-entity": "#882255",
    "ar-rev-segment": "#117733",
    # the paper's objectives on the encoder-decoder (target factorization_gap): darker or lighter
    # shades of their own objectives' colours
    "ar-ed": "#003E66",
    "ar-rev-ed": "#A6D8F5",
    "mlm-15-ed": "#F5C96B",
}
_SPARE = ["#999999", "#AA4499", "#88CCEE", "#661100", "#BBBBBB", "#E7298A"]


def objective_colour(objective: str) -> str:
    if objective in OBJECTIVE_COLOURS:
        return OBJECTIVE_COLOURS[objective]
    return _SPARE[sum(map(ord, objective)) % len(_SPARE)]


COLUMN_WIDTH, PAGE_WIDTH = 3.3, 6.75  # inches
PAPER_TICK = dict(marker="_", s=90, color="black", linewidths=1.6, zorder=4)  # the paper's number on a bar
CHANCE_LINE = dict(color="black", linestyle="--", linewidth=0.8)
BACKWARD_HATCH = "////"
DIRECTION_STYLES = {"forward": "-", "backward": "--"}


def theme() -> None:
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.0)
    plt.rcParams["hatch.linewidth"] = 0.6
    plt.rcParams["pdf.fonttype"] = 42  # TrueType fonts in the PDFs: text stays text (searchable, editable)


def save(fig, pdf_path: str | Path) -> None:
    Path(pdf_path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(pdf_path, bbox_inches="tight")
    plt.close(fig)


def present(order: list[str], available) -> list[str]:
    """The ``available`` values without repeats, those in ``order`` first."""
    available = list(dict.fromkeys(available))
    return [o for o in order if o in available] + [o for o in available if o not in order]
