"""The neurocore command (python -m neurocore / the `neurocore` console script)."""
import importlib.metadata
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import neurocore as nc
from neurocore import cli

_PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(nc.__file__)))  # where the tested package lives
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))           # the repository (tests/..)


def _run(args, cwd):
    env = dict(os.environ, PYTHONPATH=_PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "neurocore", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_help_lists_the_options(tmp_path):
    r = _run(["--help"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: neurocore")
    for option in ["--model", "--epochs", "--batch-size", "--optimizer", "--learning-rate", "--output", "--plot",
                   "--seed", "--quiet", "--limit", "--validation-split", "{lenet5,mlp}"]:
        assert option in r.stdout, option
    assert list(tmp_path.iterdir()) == []


def test_console_script_entry_point():
    tomllib = pytest.importorskip("tomllib")            # Python >= 3.11
    with open(os.path.join(_ROOT, "pyproject.toml"), "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert scripts["neurocore"] == "neurocore.cli:main"
    assert callable(cli.main)
    try:  # an installed package (CI, pip install .) must declare the same entry point
        dist = importlib.metadata.distribution("neurocore")
    except importlib.metadata.PackageNotFoundError:
        return
    installed = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert installed.get("neurocore") == "neurocore.cli:main"


def test_short_run_saves_a_model_that_loads(tmp_path):
    model_path, plot_path = tmp_path / "lenet.keras", tmp_path / "curves.png"
    r = _run(["--epochs", "2", "--limit", "300", "--seed", "1", "--output", str(model_path), "--plot",
              str(plot_path), "--quiet"], tmp_path)
    assert r.returncode == 0, r.stderr
    printed = float(re.search(r"Test accuracy: ([0-9.]+)", r.stdout).group(1))
    assert f"Saved the model to {model_path}" in r.stdout
    assert "Model:" not in r.stdout                      # --quiet: no summary, no progress lines
    model = nc.keras.load_model(str(model_path))
    assert model.count_params() == 61706
    _, _, x_test, y_test = cli.load_digits_images(32, seed=1)
    proba = model.predict(x_test, verbose=0)
    assert proba.shape == (359, 10)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    # The file holds the trained weights: its predictions give the accuracy the command printed.
    assert round(float((proba.argmax(1) == y_test).mean()), 4) == printed
    assert printed > 0.5                                  # 2 epochs on 300 images already learn something
    try:
        import matplotlib  # noqa: F401
        assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    except ImportError:
        assert "matplotlib is not installed" in r.stdout and not plot_path.exists()


def test_mlp_in_process(tmp_path, capsys):
    out = tmp_path / "mlp.keras"
    assert cli.main(["--model", "mlp", "--epochs", "3", "--limit", "500", "--output", str(out), "--no-plot"]) == 0
    text = capsys.readouterr().out
    assert 'Model: "mlp"' in text and "Epoch 3/3" in text and "val_accuracy" in text
    printed = float(re.search(r"Test accuracy: ([0-9.]+)", text).group(1))
    model = nc.keras.load_model(str(out))
    _, _, x_test, y_test = cli.load_digits_images(8, seed=0)
    assert round(float((model.predict(x_test, verbose=0).argmax(1) == y_test).mean()), 4) == printed
    assert printed > 0.8


def test_plot_is_skipped_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)      # import matplotlib now raises ImportError
    history = nc.keras.callbacks.History()
    history.history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.8]}
    assert cli.plot_history(history, str(tmp_path / "x.png"), "t") is False
    assert not (tmp_path / "x.png").exists()


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    history = nc.keras.callbacks.History()
    history.history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.8], "val_loss": [1.1, 0.7], "val_accuracy": [0.4, 0.7]}
    assert cli.plot_history(history, str(tmp_path / "x.png"), "t") is True
    assert (tmp_path / "x.png").read_bytes()[:4] == b"\x89PNG"


def _resize_reference(image, size):
    """Linear interpolation along rows then columns, sample centres aligned, edges clamped (np.interp clamps)."""
    n = image.shape[0]
    pos = (np.arange(size) + 0.5) * n / size - 0.5
    rows = np.array([np.interp(pos, np.arange(n), r) for r in image])           # (n, size)
    return np.array([np.interp(pos, np.arange(n), c) for c in rows.T]).T        # (size, size)


def test_digits_images_are_resized_and_standardised():
    x_train, y_train, x_test, y_test = cli.load_digits_images(32, seed=3)
    assert x_train.shape == (1438, 32, 32, 1) and x_test.shape == (359, 32, 32, 1) and x_train.dtype == np.float32
    d = nc.datasets.load_digits()
    images, labels = d.images.numpy() / 16.0, d.target.numpy()
    order = np.random.default_rng(3).permutation(1797)
    test, train = order[:359], order[359:]
    np.testing.assert_array_equal(y_test, labels[test])
    np.testing.assert_array_equal(y_train, labels[train])
    big = np.stack([_resize_reference(im, 32) for im in images])
    mean, std = big[train].mean(), big[train].std()
    np.testing.assert_allclose(x_train[..., 0], (big[train] - mean) / std, atol=1e-5)
    np.testing.assert_allclose(x_test[..., 0], (big[test] - mean) / std, atol=1e-5)
    # 8x8 (the MLP's input) is the images themselves, standardised.
    x8 = cli.load_digits_images(8, seed=3)[0][..., 0]
    np.testing.assert_allclose(x8, (images[train] - images[train].mean()) / images[train].std(), atol=1e-5)
    with pytest.raises(ValueError, match="size must be an int >= 8"):
        cli.load_digits_images(4)


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs: must be > 0"),
    (["--batch-size", "x"], "--batch-size: expected a whole number"),
    (["--learning-rate", "-1"], "--learning-rate: must be > 0"),
    (["--model", "resnet"], "--model: invalid choice: 'resnet'"),
    (["--optimizer", "lbfgs"], "--optimizer: invalid choice"),
    (["--validation-split", "1.5"], "--validation-split: must be in [0, 1)"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--limit", "1", "--validation-split", "0.5"], "leaves no training or validation images out of 1"),
    (["--output", "no/such/folder/m.keras"], "--output no/such/folder/m.keras: the folder"),
    (["--plot", "no/such/folder/c.png"], "--plot no/such/folder/c.png: the folder"),
])
def test_bad_options_are_usage_errors(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        cli.main(args + ([] if "--plot" in args else ["--no-plot"]))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: neurocore") and message in err
    assert list(tmp_path.iterdir()) == []


def test_bad_option_exit_status_from_the_command(tmp_path):
    r = _run(["--epochs", "-3"], tmp_path)
    assert r.returncode == 2 and "usage: neurocore" in r.stderr and "--epochs: must be > 0" in r.stderr
