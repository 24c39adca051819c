#!/usr/bin/env python3
"""Pooling side by side with PyTorch CPU: same input, same thread count, one process, samples alternating
(nc, torch, torch, nc, ...); prints medians and ratio = torch / neurocore (> 1: neurocore is faster).

    python bench/pool_compare.py                 # 2 threads
    python bench/pool_compare.py --threads 1 --repeat 41

Workloads (float32, N, C, H, W = 8, 64, 56, 56 unless named otherwise):
    max2x2_fwd_bwd   y = max_pool2d(x, 2); y.backward(dy)       (the target: ratio >= 2)
    max2x2_fwd       max_pool2d(x, 2) under no_grad
    avg2x2_fwd_bwd   y = avg_pool2d(x, 2); y.backward(dy)
    max3x3s2_fwd_bwd y = max_pool2d(x, 3, 2, 1); y.backward(dy) (ResNet's stem pooling: overlapping windows)
    gap_fwd_bwd      y = adaptive_avg_pool2d(x, 1); y.backward(dy)
"""
import argparse
import gc
import statistics
import time

import numpy as np


def workloads(lib, F, x_np, no_grad):
    def make(fn, grad=True):
        x = lib.from_numpy(x_np.copy())
        if grad:
            x.requires_grad_(True)
        with no_grad():
            dy = lib.from_numpy(np.random.default_rng(1).standard_normal(tuple(fn(x).shape)).astype(np.float32))

        def step():
            if not grad:
                with no_grad():
                    return fn(x)
            y = fn(x)
            y.backward(dy)
            out = x.grad
            x.grad = None
            return out
        return step
    return {
        "max2x2_fwd_bwd": make(lambda t: F.max_pool2d(t, 2)),
        "max2x2_fwd": make(lambda t: F.max_pool2d(t, 2), grad=False),
        "avg2x2_fwd_bwd": make(lambda t: F.avg_pool2d(t, 2)),
        "max3x3s2_fwd_bwd": make(lambda t: F.max_pool2d(t, 3, 2, 1)),
        "gap_fwd_bwd": make(lambda t: F.adaptive_avg_pool2d(t, 1)),
    }


def timed(step, iters):
    gc.disable()
    try:
        t = time.perf_counter()
        for _ in range(iters):
            step()
        return (time.perf_counter() - t) / iters
    finally:
        gc.enable()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=21, help="samples per library (median reported)")
    ap.add_argument("--iters", type=int, default=10, help="iterations per sample")
    ap.add_argument("--only", action="append")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as TF

    import neurocore as nc
    import neurocore.nn.functional as NF
    torch.set_num_threads(args.threads)
    nc.set_num_threads(args.threads)
    x = np.random.default_rng(0).standard_normal((8, 64, 56, 56)).astype(np.float32)
    ncw = workloads(nc, NF, x, nc.no_grad)
    tw = workloads(torch, TF, x, torch.no_grad)
    print(f"threads={args.threads} torch {torch.__version__}; median of {args.repeat} samples x {args.iters} iters")
    print(f"{'workload':18s} {'neurocore':>11s} {'torch':>11s} {'ratio':>7s}")
    for name in ncw:
        if args.only and name not in args.only:
            continue
        a, b = ncw[name], tw[name]
        np.testing.assert_allclose(a().numpy(), b().numpy(), rtol=1e-5, atol=1e-6)  # same numbers first
        for _ in range(3):
            a(), b()
        sa, sb = [], []
        for r in range(args.repeat):
            if r % 2 == 0:
                sa.append(timed(a, args.iters))
                sb.append(timed(b, args.iters))
            else:
                sb.append(timed(b, args.iters))
                sa.append(timed(a, args.iters))
        ma, mb = statistics.median(sa), statistics.median(sb)
        print(f"{name:18s} {ma * 1e3:9.3f}ms {mb * 1e3:9.3f}ms {mb / ma:7.2f}")


if __name__ == "__main__":
    main()
