"""Make OpenBLAS from the scipy-openblas32 wheel loadable before the extension is imported.

The extension's RPATH points at the usual site-packages layout; preloading the library by its
full path covers every other layout (user site, editable installs, unusual prefixes).
"""
from __future__ import annotations

import ctypes
import os
import sys


_AVX512 = ("avx512f", "avx512bw", "avx512dq", "avx512vl")


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _coretype_override() -> str | None:
    """OpenBLAS picks its kernels from the CPU model; models newer than the library (AMD Zen 5
    with OpenBLAS 0.3.34, say) fall back to AVX2 'Haswell' kernels even when the CPU has AVX-512.
    Measured here: sgemm 64x576x3136 ran 68 GFLOP/s with Haswell and 185 with SkylakeX on one
    core. So when the CPU has the AVX-512 subsets SkylakeX needs, ask for them, unless the user
    chose a core type (OPENBLAS_CORETYPE) themselves."""
    if not sys.platform.startswith("linux") or "OPENBLAS_CORETYPE" in os.environ:
        return None
    return "SkylakeX" if all(f in _cpu_flags() for f in _AVX512) else None


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
    coretype = _coretype_override()
    for cand in candidates:
        path = os.path.join(libdir, cand)
        if os.path.exists(path):
            # OpenBLAS reads OPENBLAS_CORETYPE once, while loading; it is set only for that
            # moment so other libraries (numpy's own OpenBLAS) are not affected.
            if coretype:
                os.environ["OPENBLAS_CORETYPE"] = coretype
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            finally:
                if coretype:
                    del os.environ["OPENBLAS_CORETYPE"]
            return
