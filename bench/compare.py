#!/usr/bin/env python3
"""Side-by-side timings: neurocore against PyTorch CPU (and NumPy for plain GEMM).

Every workload builds the same computation in both libraries from the same NumPy initial weights, checks
that both give the same numbers, then times them in ONE process, alternating (nc, ref, ref, nc, nc, ref, ...)
with the same thread count. The machines are shared and noisy, so only the ratio of medians measured side by
side means anything:

    ratio = reference_time / neurocore_time        (> 1: neurocore is faster)

Usage:
    python bench/compare.py                     # every workload, 2 threads
    python bench/compare.py --threads 1 --only xor_step --repeat 31
    python bench/compare.py --json > result.json

Without PyTorch installed the torch workloads report neurocore's timings only.
"""
import argparse
import gc
import json
import math
import os
import platform
import statistics
import sys
import time


# ----------------------------------------------------------------------------------------------------------------
# Workloads. Each one gives: the reference library's name, a target ratio, and for each library a builder that
# returns (step, probe): step() runs one iteration, probe() returns NumPy arrays to compare between libraries.
# ----------------------------------------------------------------------------------------------------------------

def _mlp_init(np, sizes, seed):
    """PyTorch's default Linear init, drawn with NumPy so both libraries start from identical weights."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        w = rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, size=(fan_out,)).astype(np.float32)
        layers.append((w, b))
    return layers


def _nc_load(nc, linear, w, b):
    with nc.no_grad():
        linear.weight.copy_(nc.from_numpy(w))
        linear.bias.copy_(nc.from_numpy(b))


def _torch_load(torch, linear, w, b):
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(w))
        linear.bias.copy_(torch.from_numpy(b))


def _to_np(t):
    return t.detach().numpy().copy()


class MLPStep:
    """One training step of an MLP: zero_grad, forward, loss, backward, SGD update."""
    reference = "torch"

    def __init__(self, np):
        self.np = np
        self.init = _mlp_init(np, self.sizes, seed=0)
        self.x, self.y = self.data(np)

    # -- neurocore, public PyTorch-style API -------------------------------------------------------------------
    def nc_nn(self, nc):
        nn = nc.nn
        mods = []
        for i, (w, b) in enumerate(self.init):
            lin = nn.Linear(w.shape[1], w.shape[0])
            _nc_load(nc, lin, w, b)
            mods.append(lin)
            mods.append(nn.Sigmoid() if self.act == "sigmoid" or i == len(self.init) - 1 and self.loss == "bce"
                        else nn.ReLU())
        if self.loss == "ce":
            mods.pop()  # logits
        model = nn.Sequential(*mods)
        crit = nn.BCELoss() if self.loss == "bce" else nn.CrossEntropyLoss()
        opt = nc.optim.SGD(model.parameters(), lr=self.lr)
        x, y = nc.from_numpy(self.x), nc.from_numpy(self.y)

        def step():
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return step, lambda: [_to_np(p) for p in model.parameters()]

    # -- neurocore, straight on the core ops (no nn.Module layer): shows the Python layer's cost ----------------
    def nc_core(self, nc):
        core = nc._core
        params = []
        for w, b in self.init:
            params += [nc.from_numpy(w.copy()).requires_grad_(), nc.from_numpy(b.copy()).requires_grad_()]
        bufs = [None] * len(params)
        x, y = nc.from_numpy(self.x), nc.from_numpy(self.y)
        n_layers = len(self.init)
        bce = self.loss == "bce"
        sigmoid = self.act == "sigmoid"
        lr = self.lr

        def step():
            for p in params:
                p.grad = None
            h = x
            for i in range(n_layers):
                h = core.linear(h, params[2 * i], params[2 * i + 1])
                if i < n_layers - 1:
                    h = h.sigmoid() if sigmoid else h.relu()
            loss = core.binary_cross_entropy(h.sigmoid(), y) if bce else core.cross_entropy(h, y)
            loss.backward()
            core.sgd_step(params, bufs, lr, 0.0, 0.0, 0.0, False, False)
            return loss

        return step, lambda: [_to_np(p) for p in params]

    # -- PyTorch ---------------------------------------------------------------------------------------------
    def ref(self, torch):
        nn = torch.nn
        mods = []
        for i, (w, b) in enumerate(self.init):
            lin = nn.Linear(w.shape[1], w.shape[0])
            _torch_load(torch, lin, w, b)
            mods.append(lin)
            mods.append(nn.Sigmoid() if self.act == "sigmoid" or i == len(self.init) - 1 and self.loss == "bce"
                        else nn.ReLU())
        if self.loss == "ce":
            mods.pop()
        model = nn.Sequential(*mods)
        crit = nn.BCELoss() if self.loss == "bce" else nn.CrossEntropyLoss()
        opt = torch.optim.SGD(model.parameters(), lr=self.lr)
        x, y = torch.from_numpy(self.x), torch.from_numpy(self.y)

        def step():
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return step, lambda: [_to_np(p) for p in model.parameters()]


class XorStep(MLPStep):
    name = "xor_step"
    about = "2-2-1 sigmoid MLP, 4 XOR rows, BCELoss, SGD lr 0.5: one step"
    target = 5.0
    sizes, act, loss, lr = (2, 2, 1), "sigmoid", "bce", 0.5

    def data(self, np):
        x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
        y = np.array([[0], [1], [1], [0]], dtype=np.float32)
        return x, y


class MnistMLPStep(MLPStep):
    name = "mlp_step"
    about = "784-256-128-10 ReLU MLP, batch 128, cross-entropy, SGD lr 0.01: one step"
    target = 1.0
    sizes, act, loss, lr = (784, 256, 128, 10), "relu", "ce", 0.01

    def data(self, np):
        rng = np.random.default_rng(1)
        return rng.standard_normal((128, 784), dtype=np.float32), rng.integers(0, 10, size=128, dtype=np.int64)


class Matmul1024:
    name = "matmul_1024"
    about = "1024x1024 @ 1024x1024 float32 (reference: NumPy)"
    target = 0.9
    reference = "numpy"

    def __init__(self, np):
        rng = np.random.default_rng(2)
        self.a = rng.standard_normal((1024, 1024), dtype=np.float32)
        self.b = rng.standard_normal((1024, 1024), dtype=np.float32)

    def nc_nn(self, nc):
        a, b = nc.from_numpy(self.a), nc.from_numpy(self.b)
        out = [None]

        def step():
            out[0] = a @ b
            return out[0]
        return step, lambda: [out[0].numpy().copy()]

    nc_core = nc_nn

    def ref(self, np):
        a, b = self.a, self.b
        out = [None]

        def step():
            out[0] = a @ b
            return out[0]
        return step, lambda: [out[0].copy()]


WORKLOADS = [XorStep, MnistMLPStep, Matmul1024]


# ----------------------------------------------------------------------------------------------------------------
# Timing
# ----------------------------------------------------------------------------------------------------------------

def _run(step, n):
    """Seconds per iteration over n back-to-back iterations, with the garbage collector off (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        return (time.perf_counter() - t0) / n
    finally:
        gc.enable()


def _calibrate(step, min_time, warmup):
    """Warm up (at least `warmup` seconds and 3 iterations), then pick iterations per sample so one sample
    lasts at least min_time."""
    t0 = time.perf_counter()
    n = 0
    while n < 3 or time.perf_counter() - t0 < warmup:
        step()
        n += 1
    per_iter = _run(step, max(1, n // 3))
    return max(1, math.ceil(min_time / max(per_iter, 1e-9)))


def _check(a_probe, b_probe, np, rtol, atol):
    a, b = a_probe(), b_probe()
    if len(a) != len(b):
        return f"MISMATCH: {len(a)} vs {len(b)} arrays"
    worst = 0.0
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return f"MISMATCH: shapes {x.shape} vs {y.shape}"
        if not np.allclose(x, y, rtol=rtol, atol=atol):
            return f"MISMATCH: max abs diff {float(np.max(np.abs(x - y))):.3g}"
        worst = max(worst, float(np.max(np.abs(x - y))) if x.size else 0.0)
    return f"ok (max abs diff {worst:.1e})"


def _stats(samples):
    s = sorted(samples)
    q = statistics.quantiles(s, n=4) if len(s) >= 2 else [s[0]] * 3
    return {"median": statistics.median(s), "min": s[0], "q1": q[0], "q3": q[2], "samples": samples}


def bench_one(W, libs, args, np, log):
    w = W(np)
    ref_name = W.reference
    ref_lib = libs.get(ref_name)
    nc = libs["neurocore"]
    build_nc = w.nc_core if args.api == "core" else w.nc_nn
    result = {"workload": W.name, "about": W.about, "reference": ref_name, "target": W.target,
              "neurocore_api": args.api}

    # Same numbers first: a few steps from identical weights must agree.
    nc_step, nc_probe = build_nc(nc)
    for _ in range(3):
        nc_step()
    if ref_lib is not None:
        ref_step, ref_probe = w.ref(ref_lib)
        for _ in range(3):
            ref_step()
        rtol, atol = (1e-3, 1e-2) if W.reference == "numpy" else (1e-4, 1e-5)
        result["check"] = _check(nc_probe, ref_probe, np, rtol, atol)
        if result["check"].startswith("MISMATCH"):
            log(f"  {W.name}: neurocore and {ref_name} disagree: {result['check']}")
    else:
        result["check"] = f"skipped ({ref_name} not installed)"

    # Fresh instances for timing (the check's few steps are harmless, but keep the runs comparable).
    nc_step, _ = build_nc(nc)
    n_nc = _calibrate(nc_step, args.min_time, args.warmup)
    runs = {"neurocore": []}
    if ref_lib is not None:
        ref_step, _ = w.ref(ref_lib)
        n_ref = _calibrate(ref_step, args.min_time, args.warmup)
        runs[ref_name] = []
    for i in range(args.repeat):
        order = [("neurocore", nc_step, n_nc)]
        if ref_lib is not None:
            # Alternate which library goes first so neither always runs right after the other.
            order.append((ref_name, ref_step, n_ref))
            if i % 2:
                order.reverse()
        for name, step, n in order:
            if args.pause:
                time.sleep(args.pause)
            runs[name].append(_run(step, n))
    result["iters_per_sample"] = {"neurocore": n_nc}
    result["neurocore"] = _stats(runs["neurocore"])
    if ref_lib is not None:
        result["iters_per_sample"][ref_name] = n_ref
        result["ref"] = _stats(runs[ref_name])
        result["ratio"] = result["ref"]["median"] / result["neurocore"]["median"]
        result["meets_target"] = result["ratio"] >= W.target
    else:
        result["ref"] = None
        result["ratio"] = None
        result["meets_target"] = None
    return result


# ----------------------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------------------

def _fmt_time(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e3), ("us", 1e6)):
        if s * scale >= 1.0:
            return f"{s * scale:.3g} {unit}" if s * scale < 1000 else f"{s * scale:.0f} {unit}"
    return f"{s * 1e9:.3g} ns"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def header(args, libs, np):
    nc = libs["neurocore"]
    torch = libs.get("torch")
    return {
        "threads": args.threads,
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "neurocore": getattr(nc, "__version__", "?"),
        "neurocore_path": os.path.dirname(nc.__file__),
        "neurocore_api": args.api,
        "repeat": args.repeat,
        "min_time": args.min_time,
    }


def print_table(head, results):
    print(f"neurocore {head['neurocore']} ({head['neurocore_path']}, api: {head['neurocore_api']})")
    print(f"torch {head['torch'] or 'not installed'} | numpy {head['numpy']} | python {head['python']}")
    print(f"CPU: {head['cpu']} ({head['logical_cpus']} logical CPUs) | threads: {head['threads']} "
          f"| {head['repeat']} alternating samples of >= {head['min_time'] * 1e3:g} ms each")
    print("ratio = reference median / neurocore median (> 1: neurocore faster)")
    print()
    cols = ["workload", "vs", "neurocore", "reference", "ratio", "target", "", "check"]
    rows = []
    for r in results:
        ratio = r["ratio"]
        verdict = "" if ratio is None else ("ok" if r["meets_target"] else "MISS")
        rows.append([r["workload"], r["reference"], _fmt_time(r["neurocore"]["median"]),
                     _fmt_time(r["ref"]["median"] if r["ref"] else None),
                     "-" if ratio is None else f"{ratio:.2f}", f">= {r['target']:g}", verdict, r["check"]])
    widths = [max(len(str(c)) for c in col) for col in zip(cols, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    print(line(cols))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def main(argv=None):
    names = [W.name for W in WORKLOADS]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="threads for both libraries (default 2)")
    p.add_argument("--only", action="append", choices=names, metavar="NAME",
                   help=f"run only this workload (repeatable): {', '.join(names)}")
    p.add_argument("--repeat", type=int, default=15, help="timed samples per library (default 15)")
    p.add_argument("--min-time", type=float, default=0.05,
                   help="minimum seconds per sample; tiny workloads run many iterations per sample (default 0.05)")
    p.add_argument("--warmup", type=float, default=0.2, help="warm-up seconds per library and workload")
    p.add_argument("--pause", type=float, default=0.0,
                   help="seconds to sleep before each sample, to let the other library's idle threads settle")
    p.add_argument("--api", choices=["auto", "nn", "core"], default="auto",
                   help="neurocore front end: nn = nc.nn/nc.optim (what users write), core = the raw ops without "
                        "nn.Module (shows the Python layer's cost); auto = nn if nc.nn.Linear exists")
    p.add_argument("--no-torch", action="store_true", help="do not import torch even if installed")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = p.parse_args(argv)
    if args.threads < 1 or args.repeat < 1 or args.min_time <= 0:
        p.error("--threads and --repeat must be >= 1 and --min-time > 0")

    # NumPy's own OpenBLAS reads its thread count once, when it loads: set it before the first import.
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    import numpy as np
    import neurocore as nc
    libs = {"neurocore": nc, "numpy": np}
    if not args.no_torch:
        try:
            import torch
            libs["torch"] = torch
        except ImportError:
            pass
    nc.set_num_threads(args.threads)
    if "torch" in libs:
        libs["torch"].set_num_threads(args.threads)

    has_nn = all(hasattr(getattr(nc, m, None), a) for m, a in
                 [("nn", "Linear"), ("nn", "Sequential"), ("optim", "SGD")])
    if args.api == "auto":
        args.api = "nn" if has_nn else "core"
    elif args.api == "nn" and not has_nn:
        p.error("--api nn: this neurocore build has no nc.nn.Linear / nc.optim.SGD yet")

    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    if "torch" not in libs:
        log("torch is not installed: torch workloads show neurocore timings only")
    if args.api == "core" and not has_nn:
        log("nc.nn / nc.optim not found: timing neurocore's core ops directly (--api core)")
    results = []
    for W in WORKLOADS:
        if args.only and W.name not in args.only:
            continue
        if not args.json:
            log(f"running {W.name} ...")
        results.append(bench_one(W, libs, args, np, log))

    head = header(args, libs, np)
    if args.json:
        print(json.dumps({"header": head, "results": results}, indent=2))
    else:
        print_table(head, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
