"""Datasets for the course: an offline default and Keras's standard image sets.

The default, ``"digits"``, is scikit-learn's bundled copy of the UCI handwritten digits
(1,797 grey-scale 8x8 images, 10 classes). It ships inside the scikit-learn wheel, so it loads
with no network at all, and it is small enough that an over-sized network memorizes a few hundred
training images in seconds on a laptop CPU, which is exactly what the lessons need to show.

``"mnist"``, ``"fashion_mnist"`` and ``"cifar10"`` go through Keras's own loaders and cache
(``$KERAS_HOME/datasets``, by default ``~/.keras/datasets``). When one of them is neither cached
nor downloadable, :func:`load_dataset` raises :class:`DatasetUnavailableError` with the fix; it
never substitutes another dataset.

Pre-seed the cache on a machine with internet access with::

    python -m course_utils.data download mnist fashion_mnist cifar10

and copy the printed folder to the same place on the offline machine.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "DATASETS",
    "DEFAULT_DATASET",
    "Dataset",
    "DatasetUnavailableError",
    "keras_cache_dir",
    "load_dataset",
]

DEFAULT_DATASET = "digits"

# Validation and test splits do not depend on the learner's seed, so that runs with different
# seeds are compared on the same held-out images.
_SPLIT_SEED = 1234
_OFFLINE_ENV = "COURSE_OFFLINE"


class DatasetUnavailableError(RuntimeError):
    """Raised when a standard dataset is neither in the Keras cache nor downloadable.

    Its message lists the missing cache files and the two ways out: pre-seed the cache, or use
    the built-in ``"digits"`` dataset.

    Example:

    >>> from course_utils import DatasetUnavailableError, load_dataset
    >>> try:
    ...     data = load_dataset("fashion_mnist", download=False)
    ... except DatasetUnavailableError as err:
    ...     print("fix:", "python -m course_utils.data download" in str(err))  # doctest: +SKIP
    fix: True
    """


@dataclass(frozen=True)
class _Spec:
    name: str
    description: str
    example_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    scale: float
    # Paths, relative to the Keras cache directory, that must exist for an offline load.
    cache_files: tuple[str, ...] = ()
    keras_module: str | None = None


_DIGIT_NAMES = tuple(str(i) for i in range(10))

_SPECS: dict[str, _Spec] = {
    "digits": _Spec(
        name="digits",
        description="scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download)",
        example_shape=(8, 8, 1),
        class_names=_DIGIT_NAMES,
        scale=16.0,
    ),
    "mnist": _Spec(
        name="mnist",
        description="MNIST handwritten digits, 28x28 (70,000 images, Keras cache)",
        example_shape=(28, 28, 1),
        class_names=_DIGIT_NAMES,
        scale=255.0,
        cache_files=("datasets/mnist.npz",),
        keras_module="mnist",
    ),
    "fashion_mnist": _Spec(
        name="fashion_mnist",
        description="Fashion-MNIST clothing images, 28x28 (70,000 images, Keras cache)",
        example_shape=(28, 28, 1),
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        scale=255.0,
        cache_files=tuple(
            f"datasets/fashion-mnist/{f}"
            for f in (
                "train-labels-idx1-ubyte.gz",
                "train-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
            )
        ),
        keras_module="fashion_mnist",
    ),
    "cifar10": _Spec(
        name="cifar10",
        description="CIFAR-10 colour images, 32x32x3 (60,000 images, Keras cache)",
        example_shape=(32, 32, 3),
        class_names=(
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
        scale=255.0,
        cache_files=("datasets/cifar-10-batches-py-target_archive",),
        keras_module="cifar10",
    ),
}

#: Names accepted by :func:`load_dataset`.
DATASETS: tuple[str, ...] = tuple(_SPECS)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train / validation / test splits of one dataset, with its metadata.

    Images are ``float32`` in ``[0, 1]`` with a channel axis (``(n, height, width, channels)``);
    labels are integer class indices (use ``sparse_categorical_crossentropy``).

    Attributes:
        name: The dataset's name, as passed to :func:`load_dataset`.
        x_train, y_train: The training split (possibly a subset, possibly with noisy labels).
        x_val, y_val: The validation split, for model selection.
        x_test, y_test: The test split: evaluate on it once, at the very end.
        class_names: One readable name per class index.
        label_noise: Fraction of training labels that were replaced by a wrong class.
        noisy_train_mask: Boolean mask over the training set, ``True`` where a label was flipped.
        seed: The seed that chose the training subset and the flipped labels.

    Example:

    >>> from course_utils import load_dataset
    >>> data = load_dataset("digits", n_train=100, label_noise=0.1)
    >>> data.sizes, int(data.noisy_train_mask.sum())
    ({'train': 100, 'val': 360, 'test': 360}, 10)
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    label_noise: float = 0.0
    noisy_train_mask: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    seed: int = 0

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. ``(8, 8, 1)``: what ``keras.Input(shape=...)`` needs."""
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def sizes(self) -> dict[str, int]:
        """Number of examples in each split."""
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}

    def summary(self) -> str:
        """A short, deterministic, human-readable description of the splits."""
        s = self.sizes
        lines = [
            f"dataset      : {self.name}",
            f"input shape  : {self.input_shape}   classes: {self.num_classes}",
            f"train / val / test : {s['train']} / {s['val']} / {s['test']}",
            "train labels per class: "
            + " ".join(str(int(c)) for c in np.bincount(self.y_train, minlength=self.num_classes)),
        ]
        if self.label_noise > 0:
            lines.append(
                f"label noise  : {int(self.noisy_train_mask.sum())} of {s['train']} training "
                f"labels flipped ({self.label_noise:.0%}); validation and test labels are clean"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        s = self.sizes
        return (
            f"Dataset(name={self.name!r}, train={s['train']}, val={s['val']}, test={s['test']}, "
            f"example shape {self.input_shape}, num_classes={self.num_classes}, "
            f"label_noise={self.label_noise})"
        )


def keras_cache_dir() -> Path:
    """The folder where Keras's dataset loaders cache their downloads.

    It is ``$KERAS_HOME`` if that variable was set when Keras was imported, else ``~/.keras``
    (or ``/tmp/.keras`` when the home folder is not writable), exactly as Keras decides.

    Returns:
        The Keras home folder; datasets live in its ``datasets/`` subfolder.

    Example:

    >>> from course_utils import keras_cache_dir
    >>> (keras_cache_dir() / "datasets").name
    'datasets'
    """
    try:
        from keras.src.backend.config import keras_home

        base = Path(os.path.expanduser(keras_home()))
    except ImportError:  # pragma: no cover - Keras always has it today
        base = Path(os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras")))
    if base.exists() and not os.access(base, os.W_OK):
        base = Path("/tmp/.keras")
    return base


def _check_name(name: object) -> _Spec:
    if not isinstance(name, str) or name not in _SPECS:
        valid = ", ".join(repr(n) for n in DATASETS)
        hint = ""
        if isinstance(name, str):
            close = difflib.get_close_matches(name.lower().replace("-", "_"), DATASETS, n=1)
            if close:
                hint = f" Did you mean {close[0]!r}?"
        raise ValueError(f"Unknown dataset {name!r}. Valid names: {valid}.{hint}")
    return _SPECS[name]


def _download_allowed(download: bool | None) -> bool:
    if download is not None:
        return bool(download)
    return os.environ.get(_OFFLINE_ENV, "").strip().lower() not in {"1", "true", "yes"}


def _unavailable_message(spec: _Spec, cache: Path, missing: list[str], reason: str) -> str:
    files = "\n".join(f"    {cache / m}" for m in missing) or "    (files present but unreadable)"
    return (
        f"Dataset {spec.name!r} is not available: {reason}\n"
        f"Keras looks for it in its cache folder {cache / 'datasets'}; missing:\n{files}\n"
        "To fix this, either:\n"
        f"  1. on a machine with internet access run\n"
        f"         python -m course_utils.data download {spec.name}\n"
        f"     and copy the folder it prints to {cache / 'datasets'} here (or point the\n"
        f"     KERAS_HOME environment variable at a folder that holds it), or\n"
        f"  2. use the built-in dataset that needs no download: DATASET = {DEFAULT_DATASET!r}."
    )


def _load_keras_arrays(spec: _Spec, download: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    import keras

    cache = keras_cache_dir()
    missing = [f for f in spec.cache_files if not (cache / f).exists()]
    if missing and not download:
        raise DatasetUnavailableError(
            _unavailable_message(
                spec,
                cache,
                missing,
                f"it is not in the Keras cache and downloads are off (download=False or {_OFFLINE_ENV}=1).",
            )
        )
    loader: Callable[[], tuple] = getattr(keras.datasets, str(spec.keras_module)).load_data
    try:
        (x_train, y_train), (x_test, y_test) = loader()
    except Exception as exc:  # Keras raises a bare Exception on a failed download.
        if missing:
            reason = f"it is not in the Keras cache and downloading it failed ({exc})."
        else:
            reason = (
                "the cached copy could not be read (incomplete or corrupted download?) and "
                f"downloading it again failed ({exc}). Delete the cached files and retry."
            )
        raise DatasetUnavailableError(_unavailable_message(spec, cache, missing, reason)) from exc
    return x_train, y_train, x_test, y_test


def _load_digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_pool, x_test, y_pool, y_test = train_test_split(
        digits.images,
        digits.target,
        test_size=0.2,
        stratify=digits.target,
        random_state=_SPLIT_SEED,
    )
    return x_pool, y_pool, x_test, y_test


def _flip_labels(
    y: np.ndarray, fraction: float, num_classes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Replace exactly ``round(fraction * len(y))`` labels by a different, random class."""
    y = y.copy()
    n_flip = int(round(fraction * len(y)))
    mask = np.zeros(len(y), dtype=bool)
    mask[rng.choice(len(y), size=n_flip, replace=False)] = True
    offsets = rng.integers(1, num_classes, size=n_flip)
    y[mask] = (y[mask] + offsets) % num_classes
    return y, mask


def load_dataset(
    name: str = DEFAULT_DATASET,
    *,
    n_train: int | None = None,
    val_fraction: float = 0.25,
    label_noise: float = 0.0,
    seed: int = 0,
    download: bool | None = None,
) -> Dataset:
    """Loads a dataset as train / validation / test splits with its metadata.

    The test split is the dataset's official one (for ``digits``, a fixed stratified 20%).
    The validation split is a fixed stratified ``val_fraction`` of the remaining images; it does
    not change with ``seed``. The training split is the rest, or a stratified random subset of
    ``n_train`` images chosen by ``seed``.

    Args:
        name: One of :data:`DATASETS`: ``"digits"`` (default, offline), ``"mnist"``,
            ``"fashion_mnist"`` or ``"cifar10"`` (Keras cache).
        n_train: Number of training images to keep (a stratified subset), or ``None`` for all.
        val_fraction: Fraction of the non-test images held out for validation, in ``(0, 1)``.
        label_noise: Fraction of *training* labels to replace by a wrong class, in ``[0, 1)``.
            Validation and test labels always stay clean.
        seed: Seed for the training subset and the label noise.
        download: Whether a standard dataset missing from the Keras cache may be downloaded.
            ``None`` (default) allows it unless the environment variable ``COURSE_OFFLINE=1``.

    Returns:
        A :class:`Dataset`.

    Raises:
        ValueError: If ``name`` is unknown or an argument is out of range; the message names
            the bad value and the valid range.
        DatasetUnavailableError: If a standard dataset is not cached and cannot be downloaded.

    Example:

    >>> from course_utils import load_dataset
    >>> data = load_dataset("digits", n_train=200, seed=0)
    >>> data.x_train.shape, data.num_classes
    ((200, 8, 8, 1), 10)
    """
    spec = _check_name(name)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer. Received: seed={seed!r}")
    if not (isinstance(val_fraction, (int, float)) and 0.0 < val_fraction < 1.0):
        raise ValueError(
            f"`val_fraction` must be a number strictly between 0 and 1. "
            f"Received: val_fraction={val_fraction!r}"
        )
    if not (isinstance(label_noise, (int, float)) and 0.0 <= label_noise < 1.0):
        raise ValueError(f"`label_noise` must be a fraction in [0, 1). Received: label_noise={label_noise!r}")

    if spec.keras_module is None:
        x_pool, y_pool, x_test, y_test = _load_digits_arrays()
    else:
        x_pool, y_pool, x_test, y_test = _load_keras_arrays(spec, _download_allowed(download))

    from sklearn.model_selection import train_test_split

    y_pool = np.asarray(y_pool).reshape(-1).astype("int64")
    y_test = np.asarray(y_test).reshape(-1).astype("int64")
    x_train, x_val, y_train, y_val = train_test_split(
        x_pool, y_pool, test_size=val_fraction, stratify=y_pool, random_state=_SPLIT_SEED
    )

    num_classes = len(spec.class_names)
    if n_train is not None:
        if (
            not isinstance(n_train, (int, np.integer))
            or isinstance(n_train, bool)
            or not num_classes <= n_train <= len(y_train)
        ):
            raise ValueError(
                f"`n_train` must be an integer between {num_classes} (one image per class) and "
                f"{len(y_train)} (all training images of {name!r}), or None for all. "
                f"Received: n_train={n_train!r}"
            )
        if len(y_train) - n_train >= num_classes:
            x_train, _, y_train, _ = train_test_split(
                x_train, y_train, train_size=int(n_train), stratify=y_train, random_state=int(seed)
            )
        elif n_train < len(y_train):
            # Too few images left over to stratify what is dropped: drop a random few instead.
            keep = np.sort(np.random.default_rng(int(seed)).choice(len(y_train), int(n_train), replace=False))
            x_train, y_train = x_train[keep], y_train[keep]

    rng = np.random.default_rng(int(seed))
    if label_noise > 0:
        y_train, mask = _flip_labels(y_train, float(label_noise), num_classes, rng)
    else:
        mask = np.zeros(len(y_train), dtype=bool)

    def prep(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype="float32") / spec.scale
        return x.reshape((len(x),) + spec.example_shape)

    return Dataset(
        name=spec.name,
        x_train=prep(x_train),
        y_train=y_train,
        x_val=prep(x_val),
        y_val=y_val,
        x_test=prep(x_test),
        y_test=y_test,
        class_names=spec.class_names,
        label_noise=float(label_noise),
        noisy_train_mask=mask,
        seed=int(seed),
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m course_utils.data {list,download} [NAME ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.data",
        description="List the course's datasets or pre-seed the Keras cache with them.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="show each dataset and whether it is available offline")
    dl = sub.add_parser("download", help="download standard datasets into the Keras cache")
    dl.add_argument("names", nargs="+", choices=[n for n in DATASETS if _SPECS[n].keras_module])
    args = parser.parse_args(argv)

    cache = keras_cache_dir()
    if args.command == "list":
        print(f"Keras cache folder: {cache / 'datasets'}")
        for spec in _SPECS.values():
            if spec.keras_module is None:
                status = "built in"
            else:
                ok = all((cache / f).exists() for f in spec.cache_files)
                status = "cached" if ok else "not cached (needs a download)"
            print(f"  {spec.name:<14} {status:<30} {spec.description}")
        return 0
    for name in args.names:
        print(f"Downloading {name} into {cache / 'datasets'} ...", flush=True)
        try:
            _load_keras_arrays(_SPECS[name], download=True)
        except DatasetUnavailableError as exc:
            print(exc, file=sys.stderr)
            return 1
    print(f"Done. Copy {cache / 'datasets'} to the offline machine's Keras cache folder.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
