"""Figures for the lessons. Every helper takes ``ax=None`` and returns what it drew on.

Nothing here changes matplotlib's global style on import; call :func:`set_style` once if you
want the course's look. No helper calls ``plt.show()``.

The general figures (learning curves, gap summaries, example images) live in ``_core``; each
lesson topic keeps its own figures in a submodule (``weights``, ``dropout``, ``normalization``,
``early_stopping``, ``schedules``, ``optimizers``, ``experiments``). Every public name of every
submodule is available here, e.g. ``course_utils.plotting.plot_history``.
"""

from __future__ import annotations

import importlib as _importlib

from ._core import _PALETTE, _as_runs, _get_ax  # noqa: F401  (shared with the topic submodules)

#: The submodules whose ``__all__`` make up this module's public API, in order.
SUBMODULES: tuple[str, ...] = (
    "_core", "weights", "dropout", "normalization", "early_stopping", "schedules", "optimizers",
    "experiments",
)

__all__: list[str] = []
for _name in SUBMODULES:
    _module = _importlib.import_module(f".{_name}", __name__)
    for _public in _module.__all__:
        globals()[_public] = getattr(_module, _public)
        __all__.append(_public)
del _name, _module, _public
