"""Does TensorFlow see a GPU here, and how much faster does a lesson model train on it?

    python tools/gpu_check.py                  # or: make gpu-check (make gpu-check GPU=1 installs CUDA)
    python tools/gpu_check.py --dataset fashion_mnist --epochs 5

1. Prints TensorFlow's version, whether it was built with CUDA, and the GPUs it sees. Without a
   GPU it says so, with what to check, and exits 1 (so a GPU CI job fails instead of silently
   running on the CPU).
2. With a GPU: trains lesson 03's CNN (``cu.build_cnn``, the convolutional model of the dropout
   lesson) for a few epochs on the GPU and then on the CPU, on the same data, and prints the time
   per epoch (the first epoch, which includes tracing and compilation, is reported apart), the
   speed-up and the validation accuracy of each. The data are Fashion-MNIST-shaped random images by
   default (offline, the same on every machine: a timing, not a result), or a real dataset with
   ``--dataset``. The numbers also go to ``build/gpu_check.json``.

Exit status: 0 with a GPU, 1 without one, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "gpu_check.json"

#: Lesson 03's CNN at the scale its parameters cell suggests for a GPU.
CNN_FILTERS = (32, 64)
DENSE_UNITS = 128


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dataset",
        default="synthetic",
        help='"synthetic" (default: random 28x28 images, offline) or a course dataset '
        "(digits, mnist, fashion_mnist, cifar10)",
    )
    parser.add_argument("--n-train", type=int, default=20_000, help="training images (default 20000)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per device, after a warm-up epoch")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file for the numbers")
    parser.add_argument("--no-cpu", action="store_true", help="time the GPU only")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.n_train < 1 or args.batch_size < 1:
        parser.error("--epochs, --n-train and --batch-size must be positive")
    return args


def _load(args: argparse.Namespace):
    """(x_train, y_train, x_val, y_val, num_classes, description)."""
    import numpy as np

    if args.dataset == "synthetic":
        rng = np.random.default_rng(0)
        n_val = max(1, args.n_train // 4)
        x = rng.random((args.n_train + n_val, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, size=args.n_train + n_val)
        return (
            x[: args.n_train],
            y[: args.n_train],
            x[args.n_train :],
            y[args.n_train :],
            10,
            f"random Fashion-MNIST-shaped images (28x28x1, 10 classes), {args.n_train} for training",
        )
    import course_utils as cu

    data = cu.load_dataset(args.dataset, n_train=args.n_train, seed=0)
    return (
        data.x_train,
        data.y_train,
        data.x_val,
        data.y_val,
        data.num_classes,
        f"{args.dataset}, {len(data.x_train)} training images",
    )


def _time_training(device: str, data, args: argparse.Namespace) -> dict:
    """Builds and trains lesson 03's CNN on ``device``; the time of each epoch and the accuracy."""
    import keras
    import tensorflow as tf

    import course_utils as cu

    x_train, y_train, x_val, y_val, num_classes, _ = data

    class EpochTimes(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._start)

    cu.set_seed(0)
    with tf.device(device):
        model = cu.build_cnn(x_train.shape[1:], num_classes, CNN_FILTERS, dense_units=DENSE_UNITS, seed=0)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        timer = EpochTimes()
        history = model.fit(
            x_train,
            y_train,
            validation_data=(x_val, y_val),
            epochs=1 + args.epochs,
            batch_size=args.batch_size,
            callbacks=[timer],
            verbose=0,
        )
    steady = timer.times[1:]
    return {
        "device": device,
        "first_epoch_s": round(timer.times[0], 3),
        "epoch_s": round(sum(steady) / len(steady), 3),
        "val_accuracy": round(float(history.history["val_accuracy"][-1]), 4),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    import tensorflow as tf

    import course_utils  # noqa: F401  (sends TensorFlow's start-up log lines to a file)

    build = tf.sysconfig.get_build_info()
    gpus = tf.config.list_physical_devices("GPU")
    print(
        f"TensorFlow {tf.__version__} on Python {platform.python_version()}, "
        f"built with CUDA: {tf.test.is_built_with_cuda()} "
        f"(CUDA {build.get('cuda_version', '-')}, cuDNN {build.get('cudnn_version', '-')})"
    )
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if not gpus:
        print(
            "No GPU: TensorFlow sees no GPU on this machine"
            + (f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else "")
            + "."
        )
        print(
            "To use one: a CUDA-capable NVIDIA GPU with its driver (`nvidia-smi` must work), and the "
            'CUDA libraries for TensorFlow: `make setup GPU=1` (pip install -e ".[course,gpu]"). '
            "TensorFlow's own reasons are in its start-up log (course_utils-tensorflow-<pid>.log "
            "in the temporary folder)."
        )
        return 1
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        print(
            f"GPU: {gpu.name} {details.get('device_name', '')} "
            f"(compute capability {details.get('compute_capability', '?')})"
        )

    data = _load(args)
    print(
        f"Training lesson 03's CNN (filters {CNN_FILTERS}, dense {DENSE_UNITS}) on {data[5]}: "
        f"1 warm-up epoch + {args.epochs}, batch {args.batch_size}.",
        flush=True,
    )
    runs = [_time_training("/GPU:0", data, args)]
    if not args.no_cpu:
        runs.append(_time_training("/CPU:0", data, args))
    for run in runs:
        print(
            f"  {run['device']}: {run['epoch_s']:.2f} s/epoch (first epoch {run['first_epoch_s']:.2f} s), "
            f"validation accuracy {run['val_accuracy']:.3f}",
            flush=True,
        )
    report = {
        "tensorflow": tf.__version__,
        "gpus": [g.name for g in gpus],
        "data": data[5],
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "runs": runs,
    }
    if len(runs) == 2 and runs[0]["epoch_s"] > 0:
        report["speedup"] = round(runs[1]["epoch_s"] / runs[0]["epoch_s"], 2)
        print(f"GPU speed-up: {report['speedup']:.1f}x per epoch")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
