"""course_utils: helpers shared by the notebooks of the course "Regularization and Optimization
for Neural Networks, in TensorFlow / Keras 3".

The lessons keep their ideas visible; this package holds the plumbing: data loading
(:func:`load_dataset`), reproducibility (:func:`set_seed`), model builders (:func:`build_mlp`),
training with quiet progress output (:func:`train`), figures (``plot_*``), the record of each
lesson's measured numbers (:class:`LessonRecorder`) and helpers for exercise checks
(:mod:`course_utils.grading`).
"""

from __future__ import annotations

import os as _os

# Quieter TensorFlow C++ logging for learners; an explicit setting in the environment wins.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .data import DATASETS, DEFAULT_DATASET, Dataset, DatasetUnavailableError, keras_cache_dir, load_dataset  # noqa: E402
from .models import build_mlp  # noqa: E402
from .plotting import plot_examples, plot_gap_summary, plot_history, plot_learning_curves, run_colors, set_style  # noqa: E402
from .reproducibility import describe_environment, set_seed  # noqa: E402
from .results import LessonRecorder, load_results  # noqa: E402
from .training import (  # noqa: E402
    CompactProgress,
    HistorySummary,
    as_history_dict,
    as_tf_dataset,
    diagnose_fit,
    make_learning_curves,
    make_mystery_runs,
    summarize_history,
    train,
)

__version__ = "0.1.0"

__all__ = [
    "DATASETS",
    "DEFAULT_DATASET",
    "CompactProgress",
    "Dataset",
    "DatasetUnavailableError",
    "HistorySummary",
    "LessonRecorder",
    "as_history_dict",
    "as_tf_dataset",
    "build_mlp",
    "describe_environment",
    "diagnose_fit",
    "keras_cache_dir",
    "load_dataset",
    "load_results",
    "make_learning_curves",
    "make_mystery_runs",
    "plot_examples",
    "plot_gap_summary",
    "plot_history",
    "plot_learning_curves",
    "run_colors",
    "set_seed",
    "set_style",
    "summarize_history",
    "train",
]
