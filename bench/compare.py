#!/usr/bin/env python3
"""Side-by-side timings: neurocore against PyTorch CPU (and NumPy for plain GEMM).

Every workload builds the same computation in both libraries from the same NumPy initial weights, checks
that both give the same numbers, then times them alternating sample by sample (nc, ref, ref, nc, nc, ref, ...)
with the same thread count, in one process (default) or in one worker process per library (--isolate).
The machines are shared and noisy, so only the ratio of medians measured side by side means anything:

    ratio = reference_time / neurocore_time        (> 1: neurocore is faster)

Usage:
    python bench/compare.py                     # every workload, 2 threads, one process
    python bench/compare.py --isolate           # each library in its own worker process (see --help: OpenMP)
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


def _to_np(t):
    return t.detach().numpy().copy()


class MLPStep:
    """One training step of an MLP: zero_grad, forward, loss, backward, SGD update."""
    reference = "torch"

    def __init__(self, np):
        self.init = _mlp_init(np, self.sizes, seed=0)
        self.x, self.y = self.data(np)

    def _torch_like(self, lib):
        """The step written once against the PyTorch API, which neurocore (nc.nn, nc.optim) mirrors."""
        nn = lib.nn
        layers = []
        for i, (w, b) in enumerate(self.init):
            linear = nn.Linear(w.shape[1], w.shape[0])
            with lib.no_grad():
                linear.weight.copy_(lib.from_numpy(w))
                linear.bias.copy_(lib.from_numpy(b))
            layers.append(linear)
            if i < len(self.init) - 1:
                layers.append(nn.Sigmoid() if self.act == "sigmoid" else nn.ReLU())
        if self.loss == "bce":
            layers.append(nn.Sigmoid())
        model = nn.Sequential(*layers)
        crit = nn.BCELoss() if self.loss == "bce" else nn.CrossEntropyLoss()
        opt = lib.optim.SGD(model.parameters(), lr=self.lr)
        x, y = lib.from_numpy(self.x), lib.from_numpy(self.y)

        def step():
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return step, lambda: [_to_np(p) for p in model.parameters()]

    def ref(self, torch):
        return self._torch_like(torch)

    def nc_nn(self, nc):
        """neurocore through its public PyTorch-style API (what users write)."""
        return self._torch_like(nc)

    def nc_core(self, nc):
        """neurocore straight on the core ops, without nn.Module / optim: shows what the Python layer costs."""
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
# Timing. A runner holds one library's side of one workload; LocalRunner runs it in this process,
# WorkerRunner in a worker process (--isolate) that answers the same calls over a pipe.
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


def _import_libs(side, threads):
    """Import the libraries one side needs and give them `threads` threads.
    side: "nc", "ref", "both" (one-process mode) or "none" (NumPy only: the --isolate parent)."""
    # NumPy's own OpenBLAS reads its thread count once, when it loads: set it before the first import.
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    import numpy as np
    libs = {"numpy": np}
    if side in ("ref", "both") and os.environ.get("NC_BENCH_NO_TORCH") != "1":
        # torch before neurocore in one-process mode: see _OPENMP_NOTE.
        try:
            import torch
            torch.set_num_threads(threads)
            libs["torch"] = torch
        except ImportError:
            pass
    if side in ("nc", "both"):
        import neurocore as nc
        nc.set_num_threads(threads)
        libs["neurocore"] = nc
    return libs


def _runtime_info(libs, api):
    """Versions, OpenMP wait policy and the OpenMP/BLAS libraries this process has loaded."""
    loaded = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                base = os.path.basename(path)
                if any(k in base for k in ("gomp", "iomp", "omp.so", "openblas", "mkl_core")):
                    loaded.add(path)
    except OSError:
        pass
    info = {name: getattr(lib, "__version__", "?") for name, lib in libs.items()}
    if "neurocore" in libs:
        info["neurocore_path"] = os.path.dirname(libs["neurocore"].__file__)
    info["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY")
    info["loaded_libs"] = sorted(loaded)
    if "neurocore" in libs:
        info["has_nn"] = _has_nn(libs["neurocore"])
        info["api"] = _resolve_api(libs["neurocore"], api)
    return info


def _has_nn(nc):
    return all(hasattr(getattr(nc, m, None), a) for m, a in [("nn", "Linear"), ("nn", "Sequential"), ("optim", "SGD")])


def _resolve_api(nc, api):
    if api == "auto":
        return "nn" if _has_nn(nc) else "core"
    if api == "nn" and not _has_nn(nc):
        raise SystemExit("--api nn: this neurocore build has no nc.nn.Linear / nc.optim.SGD yet")
    return api


class LocalRunner:
    def __init__(self, libs, api):
        self.libs = libs
        self.api = _resolve_api(libs["neurocore"], api) if "neurocore" in libs else api
        self.w = None

    def open(self, name):
        self.w = next(W for W in WORKLOADS if W.name == name)(self.libs["numpy"])

    def _build(self, side):
        if side == "nc":
            return (self.w.nc_core if self.api == "core" else self.w.nc_nn)(self.libs["neurocore"])
        return self.w.ref(self.libs[self.w.reference])

    def probe(self, side, steps=3):
        step, probe = self._build(side)
        for _ in range(steps):
            step()
        return probe()

    def prepare(self, side, min_time, warmup):
        self.step, _ = self._build(side)  # a fresh instance for timing
        self.n = _calibrate(self.step, min_time, warmup)
        return self.n

    def sample(self):
        return _run(self.step, self.n)


class WorkerRunner:
    """The same calls as LocalRunner, answered by `compare.py --worker SIDE` in its own process."""

    def __init__(self, side, args):
        import subprocess
        env = dict(os.environ)
        if args.no_torch:
            env["NC_BENCH_NO_TORCH"] = "1"
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", side, "--threads", str(args.threads),
               "--api", args.api]
        self.side = side
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.info = self._call("info")

    def _call(self, op, **kw):
        self.proc.stdin.write(json.dumps(dict(op=op, **kw)) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker '{self.side}' exited (see its error above)")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"benchmark worker '{self.side}': {reply['error']}")
        return reply["result"]

    def open(self, name):
        self._call("open", name=name)

    def probe(self, side, steps=3):
        import tempfile
        import numpy as np
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "probe.npz")
            self._call("probe", steps=steps, path=path)
            with np.load(path) as z:
                return [z[f"a{i}"] for i in range(len(z.files))]

    def prepare(self, side, min_time, warmup):
        return self._call("prepare", min_time=min_time, warmup=warmup)

    def sample(self):
        return self._call("sample")

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def worker_main(side, threads, api):
    """Serve LocalRunner calls, one JSON object per line on stdin/stdout."""
    proto, sys.stdout = sys.stdout, sys.stderr  # keep stray prints off the protocol pipe
    libs = _import_libs(side, threads)
    runner = LocalRunner(libs, api)
    np = libs["numpy"]
    for line in sys.stdin:
        req = json.loads(line)
        op = req.pop("op")
        try:
            if op == "info":
                result = _runtime_info(libs, api)
            elif op == "open":
                if side == "ref" and WORKLOADS_BY_NAME[req["name"]].reference not in libs:
                    raise RuntimeError(f"{WORKLOADS_BY_NAME[req['name']].reference} is not installed")
                result = runner.open(req["name"])
            elif op == "probe":
                arrays = runner.probe(side, req["steps"])
                np.savez(req["path"], **{f"a{i}": a for i, a in enumerate(arrays)})
                result = None
            elif op == "prepare":
                result = runner.prepare(side, req["min_time"], req["warmup"])
            elif op == "sample":
                result = runner.sample()
            else:
                raise ValueError(f"unknown op {op!r}")
            reply = {"result": result}
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        proto.write(json.dumps(reply) + "\n")
        proto.flush()
    return 0


def _check(a, b, np, rtol, atol):
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


def bench_one(W, runners, have_ref, args, np, log):
    """runners: {"nc": runner, "ref": runner}; each side has its own runner (LocalRunner or WorkerRunner)."""
    ref_name = W.reference
    result = {"workload": W.name, "about": W.about, "reference": ref_name, "target": W.target}
    sides = ["nc"] + (["ref"] if have_ref else [])
    for s in sides:
        runners[s].open(W.name)

    # Same numbers first: a few steps from identical weights must agree.
    if have_ref:
        rtol, atol = (1e-3, 1e-2) if ref_name == "numpy" else (1e-4, 1e-5)
        result["check"] = _check(runners["nc"].probe("nc"), runners["ref"].probe("ref"), np, rtol, atol)
        if result["check"].startswith("MISMATCH"):
            log(f"  {W.name}: neurocore and {ref_name} disagree: {result['check']}")
    else:
        runners["nc"].probe("nc")
        result["check"] = f"skipped ({ref_name} not installed)"

    iters = {s: runners[s].prepare(s, args.min_time, args.warmup) for s in sides}
    runs = {s: [] for s in sides}
    for i in range(args.repeat):
        order = sides if i % 2 == 0 else sides[::-1]  # alternate which library goes first
        for s in order:
            if args.pause:
                time.sleep(args.pause)
            runs[s].append(runners[s].sample())
    label = {"nc": "neurocore", "ref": ref_name}
    result["iters_per_sample"] = {label[s]: iters[s] for s in sides}
    result["neurocore"] = _stats(runs["nc"])
    result["ref"] = _stats(runs["ref"]) if have_ref else None
    result["ratio"] = result["ref"]["median"] / result["neurocore"]["median"] if have_ref else None
    result["meets_target"] = result["ratio"] >= W.target if have_ref else None
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


def print_table(head, results):
    nc_info, ref_info = head["processes"]["neurocore"], head["processes"]["reference"]
    print(f"neurocore {nc_info.get('neurocore', '?')} ({nc_info.get('neurocore_path')}, api: {head['neurocore_api']})")
    print(f"torch {ref_info.get('torch') or 'not installed'} | numpy {ref_info.get('numpy')} | python {head['python']}")
    print(f"CPU: {head['cpu']} ({head['logical_cpus']} logical CPUs) | threads: {head['threads']} "
          f"| {head['repeat']} alternating samples of >= {head['min_time'] * 1e3:g} ms each, "
          f"{head['pause']:g} s pause before each")
    if head["isolate"]:
        print("mode: --isolate (each library in its own worker process, with its own OpenMP runtime)")
    else:
        gomp = [p for p in nc_info.get("loaded_libs", []) if "gomp" in os.path.basename(p)]
        shared = " (shared by both libraries)" if ref_info.get("torch") else ""
        print(f"mode: one process; OpenMP runtime{shared}: {', '.join(gomp) or '?'}")
    wp = head["omp_wait_policy"]
    print(f"OMP_WAIT_POLICY as each library's OpenMP runtime read it: neurocore {wp['neurocore'] or 'unset'}, "
          f"reference {wp['reference'] or 'unset'}")
    print("ratio = reference median / neurocore median (> 1: neurocore faster)")
    print("spread = interquartile range / median of each library's samples (large: the machine was busy)")
    print()
    cols = ["workload", "vs", "neurocore", "reference", "ratio", "target", "", "spread nc/ref", "check"]
    rows = []
    spread = lambda st: f"{(st['q3'] - st['q1']) / st['median'] * 100:.0f}%" if st else "-"  # noqa: E731
    for r in results:
        ratio = r["ratio"]
        verdict = "" if ratio is None else ("ok" if r["meets_target"] else "MISS")
        rows.append([r["workload"], r["reference"], _fmt_time(r["neurocore"]["median"]),
                     _fmt_time(r["ref"]["median"] if r["ref"] else None),
                     "-" if ratio is None else f"{ratio:.2f}", f">= {r['target']:g}", verdict,
                     f"{spread(r['neurocore'])}/{spread(r['ref'])}", r["check"]])
    widths = [max(len(str(c)) for c in col) for col in zip(cols, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    print(line(cols))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


WORKLOADS_BY_NAME = {W.name: W for W in WORKLOADS}


_OPENMP_NOTE = """\
OpenMP: the PyTorch wheel ships its own libgomp.so.1, and the dynamic linker loads a SONAME only once, so in one
process neurocore and torch share whichever OpenMP runtime loaded first, with the wait policy that runtime read
from the environment when it loaded. neurocore sets OMP_WAIT_POLICY=PASSIVE on import (its kernels' threads must
not spin while OpenBLAS's own threads run); torch runs best with libgomp's default. In one process torch is
imported first, so torch gets its default and neurocore does NOT get PASSIVE. --isolate runs each library in its
own worker process, still alternating sample by sample, so that each runs as it would alone."""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=_OPENMP_NOTE)
    p.add_argument("--threads", type=int, default=2, help="threads for both libraries (default 2)")
    p.add_argument("--only", action="append", choices=list(WORKLOADS_BY_NAME), metavar="NAME",
                   help=f"run only this workload (repeatable): {', '.join(WORKLOADS_BY_NAME)}")
    p.add_argument("--repeat", type=int, default=15, help="timed samples per library (default 15)")
    p.add_argument("--min-time", type=float, default=0.05,
                   help="minimum seconds per sample; tiny workloads run many iterations per sample (default 0.05)")
    p.add_argument("--warmup", type=float, default=0.2, help="warm-up seconds per library and workload")
    p.add_argument("--pause", type=float, default=0.2,
                   help="seconds to sleep before each sample so the other library's idle threads (OpenBLAS spins "
                        "~0.1 s after a call) stop competing for the cores; 0 to disable (default 0.2)")
    p.add_argument("--isolate", action="store_true",
                   help="run each library in its own worker process (still alternating); see OpenMP below")
    p.add_argument("--api", choices=["auto", "nn", "core"], default="auto",
                   help="neurocore front end: nn = nc.nn/nc.optim (what users write), core = the raw ops without "
                        "nn.Module (shows the Python layer's cost); auto = nn if nc.nn.Linear exists")
    p.add_argument("--no-torch", action="store_true", help="do not import torch even if installed")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--worker", choices=["nc", "ref"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.threads < 1 or args.repeat < 1 or args.min_time <= 0:
        p.error("--threads and --repeat must be >= 1 and --min-time > 0")
    if args.no_torch:
        os.environ["NC_BENCH_NO_TORCH"] = "1"
    if args.worker:
        return worker_main(args.worker, args.threads, args.api)

    user_wait_policy = os.environ.get("OMP_WAIT_POLICY")
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    if args.isolate:
        libs = _import_libs("none", args.threads)  # numpy only, for the checks
        nc_runner, ref_runner = WorkerRunner("nc", args), WorkerRunner("ref", args)
        nc_info, ref_info = nc_runner.info, ref_runner.info
        workers = [nc_runner, ref_runner]
    else:
        libs = _import_libs("both", args.threads)
        nc_runner, ref_runner = LocalRunner(libs, args.api), LocalRunner(libs, args.api)
        nc_info = ref_info = _runtime_info(libs, args.api)
        workers = []
        if "torch" in libs and args.threads > 1:
            log("note: in one process neurocore shares torch's OpenMP runtime, which loaded before neurocore could "
                "set OMP_WAIT_POLICY=PASSIVE; multi-threaded neurocore timings are pessimistic. "
                "--isolate times each library in its own process.")

    try:
        args.api = nc_info["api"]
        if args.api == "core" and not nc_info["has_nn"]:
            log("nc.nn / nc.optim not found: timing neurocore's core ops directly (--api core)")
        if "torch" not in ref_info:
            log("torch is not installed: torch workloads show neurocore timings only")
        results = []
        for W in WORKLOADS:
            if args.only and W.name not in args.only:
                continue
            if not args.json:
                log(f"running {W.name} ...")
            have_ref = W.reference in ref_info
            results.append(bench_one(W, {"nc": nc_runner, "ref": ref_runner}, have_ref, args, libs["numpy"], log))
    finally:
        for w in workers:
            w.close()

    # The OMP_WAIT_POLICY each library's OpenMP runtime read when it loaded. In one process with torch, torch's
    # libgomp loads first, before neurocore's import sets PASSIVE, and neurocore shares it.
    if args.isolate:
        wait_policy = {"neurocore": nc_info["omp_wait_policy"], "reference": ref_info["omp_wait_policy"]}
    elif "torch" in libs:
        wait_policy = {"neurocore": user_wait_policy, "reference": user_wait_policy}
    else:
        wait_policy = {"neurocore": nc_info["omp_wait_policy"], "reference": None}
    head = {
        "threads": args.threads, "cpu": _cpu_model(), "logical_cpus": os.cpu_count(),
        "python": platform.python_version(), "neurocore_api": args.api, "isolate": args.isolate,
        "repeat": args.repeat, "min_time": args.min_time, "pause": args.pause,
        "omp_wait_policy": wait_policy,
        "processes": {"neurocore": nc_info, "reference": ref_info},
    }
    if args.json:
        print(json.dumps({"header": head, "results": results}, indent=2))
    else:
        print_table(head, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
