"""course_utils: helpers shared by the notebooks of the course "Regularization and Optimization
for Neural Networks, in TensorFlow / Keras 3".

The lessons keep their ideas visible; this package holds the plumbing, one module per concern:

* :mod:`~course_utils.data`: datasets (:func:`load_dataset`);
* :mod:`~course_utils.reproducibility`: :func:`set_seed`, :func:`describe_environment`;
* :mod:`~course_utils.models`: model builders (:func:`build_mlp`, :func:`build_cnn`);
* :mod:`~course_utils.training`: training with quiet progress output (:func:`train`) and
  history summaries;
* :mod:`~course_utils.regularization`, :mod:`~course_utils.dropout`,
  :mod:`~course_utils.normalization`, :mod:`~course_utils.early_stopping`,
  :mod:`~course_utils.schedules`, :mod:`~course_utils.optimizers`,
  :mod:`~course_utils.experiments`: the measurements, schedules, optimizers and callbacks of
  lessons 02-08;
* :mod:`~course_utils.plotting`: every figure (``plot_*``) and the explicit :func:`set_style`;
* :mod:`~course_utils.results`: the record of each lesson's measured numbers
  (:class:`LessonRecorder`);
* :mod:`~course_utils.grading`: helpers for the exercise checks (imported as a submodule).

Every public name of those modules (their ``__all__``) is available at the top level, e.g.
``course_utils.load_dataset``.
"""

from __future__ import annotations

import importlib as _importlib

from . import _startup

# Before anything imports TensorFlow: its start-up log lines go to a file, not into the setup
# cell's output (see course_utils/_startup.py; an explicit TF_CPP_MIN_LOG_LEVEL wins).
_startup.start_tensorflow_quietly()

__version__ = "0.1.0"

#: The modules whose public names (``__all__``) are re-exported here, in order.
#: ``grading`` is not among them: exercise tests import it as ``course_utils.grading``.
SUBMODULES: tuple[str, ...] = (
    "data", "reproducibility", "models", "training", "regularization", "dropout",
    "normalization", "early_stopping", "schedules", "optimizers", "experiments", "plotting",
    "results",
)

__all__: list[str] = []
for _name in SUBMODULES:
    _module = _importlib.import_module(f".{_name}", __name__)
    for _public in _module.__all__:
        if _public in globals() and globals()[_public] is not getattr(_module, _public):
            raise ImportError(f"course_utils.{_name}.{_public} clashes with another module's name")
        globals()[_public] = getattr(_module, _public)
        __all__.append(_public)
del _name, _module, _public

from . import grading  # noqa: E402  (cu.grading.Notebook in every lesson's setup cell)
