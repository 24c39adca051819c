"""Static typing: `mypy` with the repository's configuration ([tool.mypy] in pyproject.toml: strict) passes on
the package, the stubs (_core.pyi) describe everything the extension exports, and a user's code that uses
the public API type-checks while misuse is reported.

mypy is a test requirement (like pytest): `pip install mypy`. Without it these tests fail, saying so.
"""
import ast
import os
import site
import textwrap
from pathlib import Path

import pytest

import neurocore as nc
from neurocore import _core

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_SRC = ROOT / "python" / "neurocore"


def _mypy_run(args, cwd):
    try:
        from mypy import api
    except ImportError:  # a failure, not a skip: the typing claims must be checked
        pytest.fail("mypy is not installed; the typing tests need it (pip install mypy)")
    old = os.getcwd()
    os.chdir(cwd)
    try:
        stdout, stderr, status = api.run(args)
    finally:
        os.chdir(old)
    return stdout + stderr, status


def test_mypy_strict_passes_on_the_package():
    out, status = _mypy_run(["--config-file", str(ROOT / "pyproject.toml")], ROOT)
    assert status == 0, f"mypy (strict, pyproject.toml config) reported problems:\n{out}"
    assert "Success: no issues found" in out


def _check_snippet(tmp_path, monkeypatch, code):
    """mypy --strict on `code`, resolving `neurocore` to the package these tests import (the installed
    one in CI, so its py.typed and _core.pyi are what gets checked)."""
    pkg_parent = Path(nc.__file__).resolve().parent.parent
    env_dirs = {Path(p).resolve() for p in site.getsitepackages() + [site.getusersitepackages()]}
    args = ["--strict", "--no-incremental", "--cache-dir", os.devnull, "--config-file", os.devnull]
    if pkg_parent not in env_dirs:  # a source checkout on PYTHONPATH (mypy ignores PYTHONPATH)
        monkeypatch.setenv("MYPYPATH", str(pkg_parent))
    path = tmp_path / "user_code.py"
    path.write_text(textwrap.dedent(code))
    return _mypy_run(args + [str(path)], tmp_path)


def test_user_code_using_the_api_type_checks(tmp_path, monkeypatch):
    out, status = _check_snippet(tmp_path, monkeypatch, """
        import neurocore as nc
        import neurocore.nn.functional as F

        x: nc.Tensor = nc.randn(4, 3, requires_grad=True)
        model = nc.nn.Sequential(nc.nn.Linear(3, 8), nc.nn.ReLU(), nc.nn.Linear(8, 2))
        opt = nc.optim.Adam(model.parameters(), lr=1e-3)
        sched = nc.optim.lr_scheduler.StepLR(opt, step_size=10)
        loss: nc.Tensor = F.cross_entropy(model(x), nc.tensor([0, 1, 1, 0]))
        loss.backward()
        grad: nc.Tensor | None = x.grad
        opt.step()
        sched.step()
        values, indices = nc.exp(x).max(1)
        shape: tuple[int, ...] = values.shape
        n: int = x.size(0)
        state: dict[str, nc.Tensor] = model.state_dict()
        loader = nc.data.DataLoader(nc.data.TensorDataset(x.detach(), indices), batch_size=2)
        with nc.no_grad():
            y = x * 2.0 + 1
        X, t = nc.datasets.load_digits(return_X_y=True)
    """)
    assert status == 0, f"mypy rejected correct use of the API:\n{out}"


def test_misuse_is_reported(tmp_path, monkeypatch):
    # Each line is wrong in a way the stubs and annotations must catch.
    out, status = _check_snippet(tmp_path, monkeypatch, """
        import neurocore as nc

        a: int = nc.tensor([1.0])
        b: str = nc.zeros(2).shape
        c = nc.nn.Linear("3", 2)
        d = nc.optim.SGD(nc.nn.Linear(2, 2).parameters(), lr="fast")
        e: nc.Tensor = nc.zeros(2).grad
    """)
    assert status == 1, out
    for line in (4, 5, 6, 7, 8):
        assert f"user_code.py:{line}: error" in out, f"no error reported for line {line}:\n{out}"


def _stub_names(tree):
    """Top-level names and, per class, the member names a .pyi declares."""
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.Assign):
            top.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        if isinstance(node, ast.ClassDef):
            names = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    names.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
            members[node.name] = names
    return top, members


def test_stubs_cover_everything_the_extension_exports():
    # _core.pyi is generated (pybind11-stubgen) and then fixed by hand; a function or method added to the
    # extension without updating the stub would be invisible to mypy users.
    stub = PACKAGE_SRC / "_core.pyi"
    top, members = _stub_names(ast.parse(stub.read_text()))
    public = {n for n in dir(_core) if not n.startswith("__")}
    missing = sorted(public - top)
    assert not missing, f"_core.pyi lacks these extension names: {missing}"
    for cls in (_core.Tensor, _core.DType, _core.Node):
        runtime = {n for n in vars(cls)
                   if (not n.startswith("__") or n in ("__getitem__", "__setitem__", "__iter__"))
                   and not n.startswith("_pybind11")}  # pybind11's own cross-module hook
        absent = sorted(runtime - members[cls.__name__])
        assert not absent, f"_core.pyi class {cls.__name__} lacks: {absent}"
    assert (PACKAGE_SRC / "py.typed").is_file()


def test_function_declarations_match_the_runtime_functions():
    # _functions.py creates nc.exp, nc.sum, ... in a loop; mypy reads the `if TYPE_CHECKING:` block instead.
    tree = ast.parse((PACKAGE_SRC / "_functions.py").read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    declared = [t.id for n in block.body if isinstance(n, ast.Assign) for t in n.targets]
    from neurocore import _functions
    assert declared == _functions._METHODS_1 + _functions._METHODS_N
    # __all__ is spelled out for mypy too: the same names, then the aliases defined below the block.
    assert _functions.__all__[:len(declared)] == declared
    assert set(_functions.__all__) <= set(nc.__all__)
    for name in declared:
        assert getattr(nc, name).__name__ == name
