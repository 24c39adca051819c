"""Make OpenBLAS from the scipy-openblas32 wheel loadable before the extension is imported.

The extension's RPATH points at the usual site-packages layout; preloading the library by its
full path covers every other layout (user site, editable installs, unusual prefixes).
"""
import ctypes
import os
import sys


def preload_openblas() -> None:
    try:
        import scipy_openblas32
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ImportError(
            "neurocore needs the scipy-openblas32 package (OpenBLAS); install it with "
            "'pip install scipy-openblas32'") from exc
    libdir = scipy_openblas32.get_lib_dir()
    if sys.platform == "win32":  # pragma: no cover
        os.add_dll_directory(libdir)
        return
    name = scipy_openblas32.get_library(fullname=True) if hasattr(scipy_openblas32, "get_library") else None
    candidates = [name] if name else []
    candidates += [f for f in os.listdir(libdir) if f.startswith("libscipy_openblas")]
    for cand in candidates:
        path = os.path.join(libdir, cand)
        if os.path.exists(path):
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            return
