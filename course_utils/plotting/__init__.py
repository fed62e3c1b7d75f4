"""Figures for the lessons. Every helper takes ``ax=None`` and returns what it drew on.

Nothing here changes matplotlib's global style on import; call :func:`set_style` once if you
want the course's look. No helper calls ``plt.show()``.

The general figures (learning curves, gap summaries, example images) live in ``_core``; each
lesson topic keeps its own figures in a submodule (``dimensionality``, ``weights``, ``dropout``,
``normalization``, ``early_stopping``, ``schedules``, ``optimizers``, ``experiments``). Every
public name of every submodule is available here, e.g. ``course_utils.plotting.plot_history``
(explicit re-exports, so that type checkers see them; tests/unit/test_public_api.py checks they
match the ``__all__`` lists).
"""

from __future__ import annotations

from . import (
    _core as _core,
    dimensionality as dimensionality,
    dropout as dropout,
    early_stopping as early_stopping,
    experiments as experiments,
    explorer as explorer,
    normalization as normalization,
    optimizers as optimizers,
    schedules as schedules,
    weights as weights,
)
from ._core import (  # noqa: F401  (shared with the topic submodules)
    _PALETTE,
    _as_runs,
    _get_ax,
    legend_outside as legend_outside,
    plot_examples as plot_examples,
    plot_gap_summary as plot_gap_summary,
    plot_history as plot_history,
    plot_learning_curves as plot_learning_curves,
    run_colors as run_colors,
    set_style as set_style,
)
from .dimensionality import plot_distance_contrast as plot_distance_contrast
from .dropout import (
    plot_feature_map_dropout as plot_feature_map_dropout,
    plot_rate_sweep as plot_rate_sweep,
    plot_uncertainty_histograms as plot_uncertainty_histograms,
)
from .early_stopping import (
    plot_early_stopping as plot_early_stopping,
    plot_selection_bias as plot_selection_bias,
)
from .experiments import (
    plot_random_search as plot_random_search,
    plot_results_bars as plot_results_bars,
    plot_sweep_heatmap as plot_sweep_heatmap,
)
from .explorer import plot_explorer as plot_explorer
from .normalization import (
    plot_activation_scales as plot_activation_scales,
    plot_epochs_to_target as plot_epochs_to_target,
    plot_moving_statistics as plot_moving_statistics,
    plot_unit_distributions as plot_unit_distributions,
)
from .optimizers import (
    plot_optimizer_comparison as plot_optimizer_comparison,
    plot_optimizer_paths as plot_optimizer_paths,
)
from .schedules import (
    plot_lr_range_test as plot_lr_range_test,
    plot_schedules as plot_schedules,
)
from .weights import (
    plot_column_norms as plot_column_norms,
    plot_weight_histograms as plot_weight_histograms,
)

#: The submodules whose ``__all__`` make up this module's public API, in order.
SUBMODULES: tuple[str, ...] = (
    "_core",
    "dimensionality",
    "weights",
    "dropout",
    "normalization",
    "early_stopping",
    "schedules",
    "optimizers",
    "experiments",
    "explorer",
)

__all__: list[str] = []
__all__ += _core.__all__
__all__ += dimensionality.__all__
__all__ += weights.__all__
__all__ += dropout.__all__
__all__ += normalization.__all__
__all__ += early_stopping.__all__
__all__ += schedules.__all__
__all__ += optimizers.__all__
__all__ += experiments.__all__
__all__ += explorer.__all__
