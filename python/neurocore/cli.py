"""The ``neurocore`` command (also ``python -m neurocore``): train LeNet-5 on the bundled digits with nc.keras.

It loads the 8x8 digits shipped with the package, upscales them to 32x32 (channels-last), holds out a seeded 20%
test split, trains the model with ``model.fit`` (progress bar on a terminal, one line per epoch otherwise), prints
the model summary and the test accuracy, saves the model with ``model.save`` (``nc.keras.load_model`` reads it
back) and, when matplotlib is installed, draws the training curves to a PNG.

    neurocore                                   # LeNet-5, 10 epochs of Adam: about 97-98% test accuracy
    neurocore --model mlp --epochs 30           # a small multilayer perceptron on the 8x8 images
    neurocore --epochs 2 --limit 300 --output /tmp/m.keras --plot /tmp/m.png --quiet
"""
import argparse
import math
import os
import time

import numpy as np

__all__ = ["main", "build_parser", "load_digits_images", "build_model"]

MODELS = ("lenet5", "mlp")
OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw", "adagrad")
DEFAULT_LR = {"adam": 2e-3, "adamw": 2e-3, "rmsprop": 1e-3, "adagrad": 1e-2, "sgd": 0.05}
SCHEDULES = ("cosine", "constant")
TEST_FRACTION = 0.2


# ----------------------------------------------------------------------------- data

def _bilinear_matrix(n_in, n_out):
    """(n_out, n_in) weights of linear interpolation with pixel centres aligned and edges clamped."""
    pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), lo] += 1 - (pos - lo)
    m[np.arange(n_out), hi] += pos - lo
    return m


def load_digits_images(size, seed=0, test_fraction=TEST_FRACTION):
    """The bundled digits as channels-last images (N, size, size, 1) float32, bilinearly resized from 8x8 and
    standardised with the training split's mean and std. Returns (x_train, y_train, x_test, y_test) from a
    split seeded by `seed` (test: round(test_fraction * 1797) images)."""
    import neurocore as nc
    if not (isinstance(size, int) and size >= 8):
        raise ValueError(f"size must be an int >= 8, got {size!r}")
    digits = nc.datasets.load_digits()
    up = _bilinear_matrix(8, size)
    images = np.einsum("ij,njk,lk->nil", up, digits.images.numpy() / 16.0, up)[..., None]
    labels = digits.target.numpy()
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(round(test_fraction * len(labels)))
    test, train = order[:n_test], order[n_test:]
    mean, std = images[train].mean(), images[train].std()
    images = ((images - mean) / std).astype(np.float32)
    return images[train], labels[train], images[test], labels[test]


# ----------------------------------------------------------------------------- models

def build_model(name):
    """An uncompiled nc.keras model: "lenet5" (LeCun et al. 1998: conv 6@5x5 tanh, avg-pool 2, conv 16@5x5 tanh,
    avg-pool 2, dense 120 tanh, 84 tanh, 10 softmax; input (32, 32, 1)) or "mlp" (8x8 input, 128 ReLU, 10
    softmax)."""
    from .keras import Sequential
    from .keras.layers import AveragePooling2D, Conv2D, Dense, Flatten
    if name == "lenet5":
        return Sequential([
            Conv2D(6, kernel_size=(5, 5), activation="tanh", input_shape=(32, 32, 1)),
            AveragePooling2D(pool_size=(2, 2)),
            Conv2D(16, kernel_size=(5, 5), activation="tanh"),
            AveragePooling2D(pool_size=(2, 2)),
            Flatten(),
            Dense(120, activation="tanh"),
            Dense(84, activation="tanh"),
            Dense(10, activation="softmax"),
        ], name="lenet5")
    if name == "mlp":
        return Sequential([Flatten(input_shape=(8, 8, 1)), Dense(128, activation="relu"),
                           Dense(10, activation="softmax")], name="mlp")
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


INPUT_SIZE = {"lenet5": 32, "mlp": 8}


# ----------------------------------------------------------------------------- command line

def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {'whole' if kind is int else 'real'} number, "
                                             f"got {text!r}") from None
        if not value > 0 or value != value:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    return parse


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def build_parser():
    p = argparse.ArgumentParser(
        prog="neurocore",
        description="Train LeNet-5 (or a small MLP) on the digits bundled with neurocore, using nc.keras: prints "
                    "the model summary and the test accuracy, saves the model (nc.keras.load_model reads it) and "
                    "plots the training curves (needs matplotlib).",
        epilog="The digits (1,797 8x8 images, 10 classes) are split 80/20 into training and test sets by --seed; "
               "--validation-split holds out the end of the training set for the validation curves.")
    p.add_argument("--model", choices=MODELS, default="lenet5", help="network to train (default: lenet5)")
    p.add_argument("--epochs", type=_positive(int), default=10, metavar="N", help="training epochs (default: 10)")
    p.add_argument("--batch-size", type=_positive(int), default=16, metavar="N", help="mini-batch size (default: 16)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="optimizer (default: adam)")
    p.add_argument("--learning-rate", type=_positive(float), default=None, metavar="LR",
                   help="learning rate (default: " + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items())
                        + "; sgd uses momentum 0.9)")
    p.add_argument("--lr-schedule", choices=SCHEDULES, default="cosine",
                   help="cosine: decay the learning rate along half a cosine to near 0 over the epochs; constant: "
                        "keep it (default: cosine)")
    p.add_argument("--validation-split", type=_fraction, default=0.1, metavar="F",
                   help="fraction of the training set held out for validation (default: 0.1; 0 for none)")
    p.add_argument("--limit", type=_positive(int), default=None, metavar="N",
                   help="train on the first N training images only (a quick run)")
    p.add_argument("--output", default=None, metavar="PATH",
                   help="where to save the trained model (default: neurocore-MODEL.keras)")
    p.add_argument("--plot", default=None, metavar="PATH",
                   help="PNG of the loss and accuracy curves (default: neurocore-MODEL-training.png); "
                        "skipped with a note when matplotlib is not installed")
    p.add_argument("--no-plot", action="store_true", help="do not draw the training curves")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="seed of the split, the initial weights and the shuffling (default: 0)")
    p.add_argument("--threads", type=_positive(int), default=None, metavar="N",
                   help="threads to compute with (default: neurocore's default)")
    p.add_argument("--quiet", action="store_true", help="print only the test accuracy and the files written")
    return p


def _optimizer(name, lr):
    from .keras import optimizers
    classes = {"adam": optimizers.Adam, "sgd": optimizers.SGD, "rmsprop": optimizers.RMSprop,
               "adamw": optimizers.AdamW, "adagrad": optimizers.Adagrad}
    if name == "sgd":
        return classes[name](learning_rate=lr, momentum=0.9)
    return classes[name](learning_rate=lr)


def plot_history(history, path, title):
    """Loss and accuracy per epoch (training, and validation when present) as a PNG at `path`, written to a
    temporary file then renamed. Returns False (drawing nothing) when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    from .serialization import atomic_write
    h = history.history
    epochs = np.arange(1, len(h["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((axes[0], "loss", "loss"), (axes[1], "accuracy", "accuracy")):
        ax.plot(epochs, h[key], "o-", label="training")
        if "val_" + key in h:
            ax.plot(epochs, h["val_" + key], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100))
    plt.close(fig)
    return True


def main(argv=None):
    """Run the command with `argv` (default: sys.argv[1:]); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    import neurocore as nc
    from .keras import callbacks

    if args.threads:
        nc.set_num_threads(args.threads)
    say = (lambda *a, **k: None) if args.quiet else print
    output = args.output or f"neurocore-{args.model}.keras"
    plot = None if args.no_plot else (args.plot or f"neurocore-{args.model}-training.png")
    for option, path in (("--output", output), ("--plot", plot)):
        folder = os.path.dirname(os.path.abspath(path)) if path else None
        if folder and not os.path.isdir(folder):
            parser.error(f"{option} {path}: the folder {folder} does not exist")

    nc.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_digits_images(INPUT_SIZE[args.model], args.seed)
    if args.limit is not None:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    # model.fit keeps the first ceil(n * (1 - split)) images for training, the rest for validation.
    n_val = len(x_train) - int(np.ceil(len(x_train) * (1.0 - args.validation_split)))
    if args.validation_split and not 0 < n_val < len(x_train):
        parser.error(f"--validation-split {args.validation_split} leaves no training or validation images out of "
                     f"{len(x_train)}")

    model = build_model(args.model)
    lr = DEFAULT_LR[args.optimizer] if args.learning_rate is None else args.learning_rate
    model.compile(optimizer=_optimizer(args.optimizer, lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    fit_callbacks = [callbacks.TerminateOnNaN()]
    if args.lr_schedule == "cosine":
        # Large steps first, small ones to settle at the end (Loshchilov & Hutter 2017, without restarts).
        epochs = args.epochs
        fit_callbacks.append(callbacks.LearningRateScheduler(
            lambda epoch, _lr: lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))))
    if not args.quiet:
        model.summary()
    say(f"Training on {len(x_train) - n_val} images ({n_val} for validation), testing on {len(x_test)}; "
        f"{args.epochs} epochs, batch {args.batch_size}, {args.optimizer} (learning rate {lr:g}, {args.lr_schedule}), "
        f"{nc.get_num_threads()} threads")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        validation_split=args.validation_split, verbose=0 if args.quiet else 1,
                        callbacks=fit_callbacks)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}) after {len(history.history['loss'])} epochs "
          f"in {seconds:.1f} s")

    model.save(output)
    print(f"Saved the model to {output}")
    if plot is not None:
        if plot_history(history, plot, f"{args.model} on digits: test accuracy {accuracy:.4f}"):
            print(f"Saved the training curves to {plot}")
        else:
            print("Note: matplotlib is not installed, so no training-curve plot was drawn "
                  "(pip install matplotlib, or pass --no-plot)")
    return 0
