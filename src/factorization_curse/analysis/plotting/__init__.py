"""The drawing functions, each writing one vector PDF from tables (:mod:`..tables`) and settings.

- :mod:`.style`: one colour per objective (:func:`objective_colour`), theme, sizes.
- :mod:`.bars`: :func:`plot_forward_backward` (per task), :func:`plot_overview` (every task and
  objective), :func:`plot_stargraph` (Figure 5a), :func:`plot_factorization_gap` (the meter's gaps).
- :mod:`.lines`: :func:`plot_sweep`, :func:`plot_learning_curves` (Figure 4a),
  :func:`plot_delayed_generalisation` (Figure 7), :func:`plot_model_size` (the model-size sweep).
- :mod:`.entities`: :func:`plot_entity_pca` (Figures 4b, 4c).

Which figure is drawn from which files, under which name, is the registry :mod:`..figures`;
:mod:`..draw` hands each registered figure its inputs.
"""

from .bars import plot_factorization_gap, plot_forward_backward, plot_overview, plot_stargraph
from .entities import plot_entity_pca
from .lines import plot_delayed_generalisation, plot_learning_curves, plot_model_size, plot_sweep
from .style import OBJECTIVE_COLOURS, objective_colour

__all__ = ["OBJECTIVE_COLOURS", "objective_colour", "plot_delayed_generalisation", "plot_entity_pca", "plot_factorization_gap",
           "plot_forward_backward", "plot_learning_curves", "plot_model_size", "plot_overview", "plot_stargraph", "plot_sweep"]
