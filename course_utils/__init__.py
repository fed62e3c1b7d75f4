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
* :mod:`~course_utils.monitoring`: TensorBoard log folders under ``build/`` and their scalars
  (:func:`tensorboard_log_dir`, :func:`read_tensorboard_scalars`);
* :mod:`~course_utils.review`: the lessons' "Check your understanding" questions
  (:func:`review_questions`, :func:`check_review`) and the evidence the appendix prints;
* :mod:`~course_utils.grading`: helpers for the exercise checks (imported as a submodule).

Every public name of those modules (their ``__all__``) is available at the top level, e.g.
``course_utils.load_dataset``. The re-exports below are explicit (``from .x import name as name``)
so that type checkers and editors see the public API; tests/unit/test_public_api.py warns about a
name of a submodule's ``__all__`` that is not re-exported here (``__getattr__`` at the end still
finds it at run time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _startup

# Before anything imports TensorFlow: its start-up log lines go to a file, not into the setup
# cell's output (see course_utils/_startup.py; an explicit TF_CPP_MIN_LOG_LEVEL wins).
_startup.start_tensorflow_quietly()

# ruff: noqa: E402  (the imports below must come after the call above)
from . import (
    data as data,
    dropout as dropout,
    early_stopping as early_stopping,
    experiments as experiments,
    grading as grading,  # cu.grading.Notebook in every lesson's setup cell (not re-exported name by name)
    models as models,
    monitoring as monitoring,
    normalization as normalization,
    optimizers as optimizers,
    plotting as plotting,
    regularization as regularization,
    reproducibility as reproducibility,
    results as results,
    review as review,
    schedules as schedules,
    training as training,
)
from .data import (
    DATASETS as DATASETS,
    DEFAULT_DATASET as DEFAULT_DATASET,
    Dataset as Dataset,
    DatasetUnavailableError as DatasetUnavailableError,
    keras_cache_dir as keras_cache_dir,
    load_dataset as load_dataset,
)
from .dropout import (
    OOD_KINDS as OOD_KINDS,
    count_dropout_layers as count_dropout_layers,
    make_ood_images as make_ood_images,
    mc_dropout_predict as mc_dropout_predict,
    mutual_information as mutual_information,
    predictive_entropy as predictive_entropy,
    predictive_spread as predictive_spread,
)
from .early_stopping import (
    EarlyStoppingTrace as EarlyStoppingTrace,
    SelectionBias as SelectionBias,
    build_model_bank as build_model_bank,
    early_stopping_trace as early_stopping_trace,
    replay_early_stopping as replay_early_stopping,
    resampled_selection_bias as resampled_selection_bias,
    selection_bias as selection_bias,
    stopping_epoch as stopping_epoch,
)
from .experiments import (
    ExperimentResult as ExperimentResult,
    inference_accuracy as inference_accuracy,
    results_table as results_table,
    run_experiment as run_experiment,
)
from .models import (
    build_cnn as build_cnn,
    build_mlp as build_mlp,
)
from .monitoring import (
    BUILD_DIR_ENV as BUILD_DIR_ENV,
    read_tensorboard_scalars as read_tensorboard_scalars,
    tensorboard_log_dir as tensorboard_log_dir,
)
from .normalization import (
    MovingStatistics as MovingStatistics,
    batch_dependence as batch_dependence,
    compare_moving_statistics as compare_moving_statistics,
    ema_initial_weight as ema_initial_weight,
    ema_steps_to_forget as ema_steps_to_forget,
    epochs_to_reach as epochs_to_reach,
    layer_inputs as layer_inputs,
)
from .optimizers import (
    AdaBelief as AdaBelief,
    MomentumSGD as MomentumSGD,
    PlainSGD as PlainSGD,
    global_norm as global_norm,
    max_abs_weight_difference as max_abs_weight_difference,
    optimizer_trajectory as optimizer_trajectory,
)
from .plotting import (
    legend_outside as legend_outside,
    plot_activation_scales as plot_activation_scales,
    plot_column_norms as plot_column_norms,
    plot_distance_contrast as plot_distance_contrast,
    plot_early_stopping as plot_early_stopping,
    plot_epochs_to_target as plot_epochs_to_target,
    plot_examples as plot_examples,
    plot_explorer as plot_explorer,
    plot_feature_map_dropout as plot_feature_map_dropout,
    plot_gap_summary as plot_gap_summary,
    plot_history as plot_history,
    plot_learning_curves as plot_learning_curves,
    plot_lr_range_test as plot_lr_range_test,
    plot_moving_statistics as plot_moving_statistics,
    plot_optimizer_comparison as plot_optimizer_comparison,
    plot_optimizer_paths as plot_optimizer_paths,
    plot_random_search as plot_random_search,
    plot_rate_sweep as plot_rate_sweep,
    plot_results_bars as plot_results_bars,
    plot_schedules as plot_schedules,
    plot_selection_bias as plot_selection_bias,
    plot_sweep_heatmap as plot_sweep_heatmap,
    plot_uncertainty_histograms as plot_uncertainty_histograms,
    plot_unit_distributions as plot_unit_distributions,
    plot_weight_histograms as plot_weight_histograms,
    run_colors as run_colors,
    set_style as set_style,
)
from .regularization import (
    WeightStatistics as WeightStatistics,
    kernel_column_norms as kernel_column_norms,
    kernel_weights as kernel_weights,
    near_zero_fraction as near_zero_fraction,
    regularization_penalty as regularization_penalty,
    weight_norm as weight_norm,
    weight_statistics as weight_statistics,
)
from .reproducibility import (
    describe_environment as describe_environment,
    set_seed as set_seed,
)
from .results import (
    RESULTS_DIR_ENV as RESULTS_DIR_ENV,
    Claim as Claim,
    LessonRecorder as LessonRecorder,
    Measurement as Measurement,
    SeedComparison as SeedComparison,
    accuracy_standard_error as accuracy_standard_error,
    compare_on_seeds as compare_on_seeds,
    compare_over_seeds as compare_over_seeds,
    load_results as load_results,
    wrap_line as wrap_line,
)
from .review import (
    INTERVIEW_EVIDENCE as INTERVIEW_EVIDENCE,
    INTERVIEW_QUESTIONS as INTERVIEW_QUESTIONS,
    REVIEW_LESSONS as REVIEW_LESSONS,
    MultipleChoice as MultipleChoice,
    Numeric as Numeric,
    QuestionFeedback as QuestionFeedback,
    ReviewResult as ReviewResult,
    ReviewSheet as ReviewSheet,
    check_review as check_review,
    interview_coverage as interview_coverage,
    load_course_results as load_course_results,
    review_questions as review_questions,
    show_interview_evidence as show_interview_evidence,
)
from .schedules import (
    LearningRateLogger as LearningRateLogger,
    LRFinder as LRFinder,
    LRRangeTestResult as LRRangeTestResult,
    OneCycleSchedule as OneCycleSchedule,
    lr_range_test as lr_range_test,
    schedule_values as schedule_values,
    smooth_losses as smooth_losses,
    suggest_learning_rate as suggest_learning_rate,
)
from .training import (
    CompactProgress as CompactProgress,
    HistoryLike as HistoryLike,
    HistorySummary as HistorySummary,
    as_history_dict as as_history_dict,
    as_tf_dataset as as_tf_dataset,
    diagnose_fit as diagnose_fit,
    make_learning_curves as make_learning_curves,
    make_mystery_runs as make_mystery_runs,
    summarize_history as summarize_history,
    train as train,
)

__version__ = "0.1.0"

#: The modules whose public names (``__all__``) are re-exported here, in order.
#: ``grading`` is not among them: exercise tests import it as ``course_utils.grading``.
SUBMODULES: tuple[str, ...] = (
    "data",
    "reproducibility",
    "models",
    "training",
    "regularization",
    "dropout",
    "normalization",
    "early_stopping",
    "schedules",
    "optimizers",
    "experiments",
    "plotting",
    "results",
    "review",
    "monitoring",
)

__all__: list[str] = []
__all__ += data.__all__
__all__ += reproducibility.__all__
__all__ += models.__all__
__all__ += training.__all__
__all__ += regularization.__all__
__all__ += dropout.__all__
__all__ += normalization.__all__
__all__ += early_stopping.__all__
__all__ += schedules.__all__
__all__ += optimizers.__all__
__all__ += experiments.__all__
__all__ += plotting.__all__
__all__ += results.__all__
__all__ += review.__all__
__all__ += monitoring.__all__

if not TYPE_CHECKING:
    # A safety net while a name added to a submodule's ``__all__`` is not yet re-exported above:
    # ``cu.<name>`` still works in the lessons (and ``from course_utils import *``), but type
    # checkers do not see it, and tests/unit/test_public_api.py names it. Hidden from mypy, so that
    # a misspelt ``cu.<name>`` stays an error there.
    def __getattr__(name: str) -> object:
        for module_name in SUBMODULES:
            module = globals()[module_name]
            if name in module.__all__:
                return getattr(module, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
