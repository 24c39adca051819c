#!/usr/bin/env python3
"""Side-by-side timings: neurocore against PyTorch CPU (and NumPy for plain GEMM).

Every workload builds the same computation in both libraries from the same NumPy initial weights, checks
that both give the same numbers, then times them alternating sample by sample (nc, ref, ref, nc, nc, ref, ...)
with the same thread count, in one process (default) or in one worker process per library (--isolate).
The machines are shared and noisy, so only the ratio of medians measured side by side means anything:

    ratio = reference_time / neurocore_time        (> 1: neurocore is faster)

Workloads (python bench/compare.py --help lists the names; each has a target ratio shown in the table):
    xor_step, mlp_step, mlp_adam_step, lenet_step       small training steps (SGD, Adam, SGD + momentum)
    matmul_1024                                         GEMM against NumPy
    conv2d_fwd, conv2d_fwdbwd, maxpool2x2_fwdbwd        on a 8x64x56x56 activation
    adam_10m, sgd_momentum_10m                          optimizer steps over 10 M parameters
    gelu_fwdbwd, cross_entropy_fwdbwd, batchnorm2d_fwdbwd
    lstm_fwd, lstm_fwdbwd, gru_fwdbwd, embed_lstm_step
    keras_fit_overhead                                  nc.keras model.fit against a hand-written nc loop
A workload needing a layer this neurocore lacks (nc.nn.LSTM, ...) is listed as skipped. More run with --only or
--all: the other pooling shapes, and the optimizer steps against torch's foreach / fused implementations.

Against the machine: alongside a compute-bound workload (GEMM, convolutions), the neurocore process samples
sgemm GFLOP/s (a 2048^3 matmul) at the same thread count, one sample after each of its own, and the table shows
the workload's GFLOP/s as a share of it. Alongside a memory-bound one (the optimizer steps) it samples memory
bandwidth (bytes read + written / time over 256 MiB arrays: copies, and an in-place add, which unlike a copy has
no uncounted write-allocate traffic; see BandwidthProbe), and the table shows the time over bound = bytes moved
per step / bandwidth (Adam reads p, g, m, v and writes p, m, v: 28 bytes a parameter). Both rates are the fastest
sample's: the nearest thing to the machine's peak on a shared machine.

Usage:
    python bench/compare.py                     # the default workloads, 2 threads, one process (< 3 minutes)
    python bench/compare.py --isolate           # each library in its own worker process (see --help: OpenMP)
    python bench/compare.py --threads 1 --only xor_step --repeat 31
    python bench/compare.py --only conv2d_fwd --only conv2d_fwdbwd
    python bench/compare.py --all --json > result.json

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
import zlib


# ----------------------------------------------------------------------------------------------------------------
# Workloads. Each one gives: the reference library's name, a target ratio, and for each library a builder that
# returns (step, probe): step() runs one iteration, probe() returns NumPy arrays to compare between libraries.
# Most are written once against the PyTorch API (build(lib)), which neurocore mirrors; the same code then runs
# with lib = torch and lib = neurocore. Initial data comes from NumPy with fixed seeds, so each library builds the
# same numbers wherever it runs (one process, or two with --isolate).
# ----------------------------------------------------------------------------------------------------------------

class Workload:
    name = None
    about = ""
    reference = "torch"
    target = 1.0            # ratio (reference / neurocore) to reach; None: informational only
    tol = (1e-4, 1e-5)      # (rtol, atol) of the neurocore-vs-reference check; atol scales with max |reference|
    needs = ()              # neurocore attributes the workload needs ("nn.LSTM"); missing: skipped with a note
    default = True          # in the default run; the others run with --only NAME or --all
    flops = None            # floating-point operations per iteration: GFLOP/s shown next to the machine's sgemm
    traffic = None          # bytes read + written per iteration: time bound at the machine's memory bandwidth
    bound_target = None     # neurocore time / bound time should be <= this

    def __init__(self, np):
        self.np = np

    def build(self, lib):
        raise NotImplementedError

    def ref(self, lib):
        return self.build(lib)

    def nc_nn(self, nc):
        return self.build(nc)

    def nc_core(self, nc):
        """Workloads without a separate core-ops version time the public API under --api core too."""
        return self.nc_nn(nc)


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


def _init_params(lib, np, module, seed):
    """Overwrite every parameter of `module` with uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) drawn by NumPy from
    (seed, parameter name): identical in both libraries as long as they name and shape parameters alike (a
    library that does not gets a shape or count mismatch in the check)."""
    with lib.no_grad():
        for name, p in module.named_parameters():
            shape = tuple(p.shape)
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
            bound = 1.0 / math.sqrt(max(fan_in, 1))
            rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
            p.copy_(lib.from_numpy(rng.uniform(-bound, bound, size=shape).astype(np.float32)))
    return module


def _to_np(t):
    return t.detach().numpy().copy()


def _leaf(lib, a):
    """A leaf tensor that requires grad, on its own copy of the NumPy array."""
    return lib.from_numpy(a.copy()).requires_grad_()


def _fwd_bwd(fn, inputs, dy):
    """step(): y = fn(*inputs); y.backward(dy), with the gradients of `inputs` (leaves: data and parameters)
    cleared first (zero_grad(set_to_none=True)). probe: y and every gradient."""
    out = [None]

    def step():
        for t in inputs:
            t.grad = None
        out[0] = fn()
        out[0].backward(dy)
    return step, lambda: [_to_np(out[0])] + [_to_np(t.grad) for t in inputs]


def _train_step(model_params, forward, opt):
    """step(): zero_grad, loss = forward(), backward, optimizer step. probe: the parameters."""
    def step():
        opt.zero_grad()
        loss = forward()
        loss.backward()
        opt.step()
        return loss
    return step, lambda: [_to_np(p) for p in model_params]


class MLPStep(Workload):
    """One training step of an MLP: zero_grad, forward, loss, backward, optimizer update."""
    opt = "sgd"

    def __init__(self, np):
        super().__init__(np)
        self.init = _mlp_init(np, self.sizes, seed=0)
        self.x, self.y = self.data(np)

    def build(self, lib):
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
        opt = (lib.optim.Adam if self.opt == "adam" else lib.optim.SGD)(model.parameters(), lr=self.lr)
        x, y = lib.from_numpy(self.x), lib.from_numpy(self.y)
        return _train_step(list(model.parameters()), lambda: crit(model(x), y), opt)

    def nc_core(self, nc):
        """neurocore straight on the core ops, without nn.Module / optim: shows what the Python layer costs."""
        core = nc._core
        params = []
        for w, b in self.init:
            params += [nc.from_numpy(w.copy()).requires_grad_(), nc.from_numpy(b.copy()).requires_grad_()]
        n = len(params)
        bufs = [None] * n
        exp_avg, exp_avg_sq, max_sq, steps = [None] * n, [None] * n, [None] * n, [0] * n
        x, y = nc.from_numpy(self.x), nc.from_numpy(self.y)
        n_layers = len(self.init)
        bce = self.loss == "bce"
        sigmoid = self.act == "sigmoid"
        adam = self.opt == "adam"
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
            if adam:
                core.adam_step(params, exp_avg, exp_avg_sq, max_sq, steps, lr, 0.9, 0.999, 1e-8, 0.0,
                               False, False, False)
            else:
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


class Matmul1024(Workload):
    name = "matmul_1024"
    about = "1024x1024 @ 1024x1024 float32 (reference: NumPy)"
    target = 0.9
    reference = "numpy"
    tol = (1e-3, 1e-2)
    flops = 2 * 1024 ** 3

    def __init__(self, np):
        super().__init__(np)
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

    def ref(self, np):
        a, b = self.a, self.b
        out = [None]

        def step():
            out[0] = a @ b
            return out[0]
        return step, lambda: [out[0].copy()]


# --- convolution and pooling on the activations of a ResNet-ish stage: x is (N, C, H, W) = (8, 64, 56, 56) ---

_N, _C, _H, _W = 8, 64, 56, 56


class _Conv3x3(Workload):
    """Conv2d(64, 64, 3, padding=1) on x (8, 64, 56, 56): output (8, 64, 56, 56)."""
    OC, K = 64, 3
    tol = (1e-4, 1e-5)
    FWD_FLOPS = 2 * _N * 64 * _H * _W * _C * 3 * 3  # 2 * N * OC * OH * OW * C * KH * KW

    def __init__(self, np):
        super().__init__(np)
        rng = np.random.default_rng(3)
        self.x = rng.standard_normal((_N, _C, _H, _W), dtype=np.float32)
        self.dy = rng.standard_normal((_N, self.OC, _H, _W), dtype=np.float32)

    def conv(self, lib):
        return _init_params(lib, self.np, lib.nn.Conv2d(_C, self.OC, self.K, padding=1), seed=3)


class Conv2dFwd(_Conv3x3):
    name = "conv2d_fwd"
    about = "Conv2d 64->64 3x3 pad 1 on 8x64x56x56 float32, forward under no_grad"
    target = 0.8
    flops = _Conv3x3.FWD_FLOPS

    def build(self, lib):
        conv, x, out = self.conv(lib), lib.from_numpy(self.x), [None]

        def step():
            with lib.no_grad():
                out[0] = conv(x)
        return step, lambda: [_to_np(out[0])]


class Conv2dFwdBwd(_Conv3x3):
    name = "conv2d_fwdbwd"
    about = "the same Conv2d, forward + backward (input, weight and bias grads)"
    target = 0.8
    flops = 3 * _Conv3x3.FWD_FLOPS  # forward, grad input, grad weight: one GEMM's worth each

    def build(self, lib):
        conv, x = self.conv(lib), _leaf(lib, self.x)
        return _fwd_bwd(lambda: conv(x), [x, conv.weight, conv.bias], lib.from_numpy(self.dy))


class _Pool(Workload):
    """fn(F, x) on x (8, 64, 56, 56) float32: forward + backward, or forward only (grad = False)."""
    grad = True

    def __init__(self, np):
        super().__init__(np)
        self.x = np.random.default_rng(4).standard_normal((_N, _C, _H, _W), dtype=np.float32)  # no ties

    def build(self, lib):
        F = lib.nn.functional
        if not self.grad:
            x, out = lib.from_numpy(self.x), [None]

            def step():
                with lib.no_grad():
                    out[0] = self.fn(F, x)
            return step, lambda: [_to_np(out[0])]
        x = _leaf(lib, self.x)
        with lib.no_grad():
            shape = tuple(self.fn(F, x).shape)
        dy = self.np.random.default_rng(5).standard_normal(shape, dtype=self.np.float32)
        return _fwd_bwd(lambda: self.fn(F, x), [x], lib.from_numpy(dy))


class MaxPool2x2FwdBwd(_Pool):
    name = "maxpool2x2_fwdbwd"
    about = "max_pool2d(x, 2) forward + backward on 8x64x56x56 float32"
    target = 2.0

    @staticmethod
    def fn(F, x):
        return F.max_pool2d(x, 2)


class MaxPool2x2Fwd(MaxPool2x2FwdBwd):
    name = "maxpool2x2_fwd"
    about = "max_pool2d(x, 2) forward under no_grad on 8x64x56x56"
    target = None
    default = False
    grad = False


class AvgPool2x2FwdBwd(_Pool):
    name = "avgpool2x2_fwdbwd"
    about = "avg_pool2d(x, 2) forward + backward on 8x64x56x56"
    target = None
    default = False

    @staticmethod
    def fn(F, x):
        return F.avg_pool2d(x, 2)


class MaxPool3x3s2FwdBwd(_Pool):
    name = "maxpool3x3s2_fwdbwd"
    about = "max_pool2d(x, 3, 2, 1) (ResNet stem: overlapping windows) forward + backward on 8x64x56x56"
    target = None
    default = False

    @staticmethod
    def fn(F, x):
        return F.max_pool2d(x, 3, 2, 1)


class GapFwdBwd(_Pool):
    name = "gap_fwdbwd"
    about = "adaptive_avg_pool2d(x, 1) (global average pool) forward + backward on 8x64x56x56"
    target = None
    default = False

    @staticmethod
    def fn(F, x):
        return F.adaptive_avg_pool2d(x, 1)


class LeNetStep(Workload):
    name = "lenet_step"
    about = ("LeNet-5 (conv6@5x5 tanh avgpool2 conv16@5x5 tanh avgpool2 120 tanh 84 tanh 10), batch 64 of "
             "1x32x32, cross-entropy, SGD momentum 0.9: one step")
    target = 1.5

    def __init__(self, np):
        super().__init__(np)
        rng = np.random.default_rng(6)
        self.x = rng.standard_normal((64, 1, 32, 32), dtype=np.float32)
        self.y = rng.integers(0, 10, size=64, dtype=np.int64)

    def build(self, lib):
        nn = lib.nn
        model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
                              nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
                              nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
        _init_params(lib, self.np, model, seed=6)
        crit = nn.CrossEntropyLoss()
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = lib.from_numpy(self.x), lib.from_numpy(self.y)
        return _train_step(list(model.parameters()), lambda: crit(model(x), y), opt)


# --- optimizer steps over 10 M float32 parameters: memory-bound, so also timed against the copy bandwidth ---

class _OptStep(Workload):
    """opt.step() over ten 1000x1000 float32 parameters whose gradients are set (and stay set)."""
    N_PARAMS = 10 * 1000 * 1000
    torch_kwargs = {}

    def __init__(self, np):
        super().__init__(np)
        rng = np.random.default_rng(7)
        self.p0 = [rng.standard_normal((1000, 1000), dtype=np.float32) for _ in range(10)]
        self.g = [rng.standard_normal((1000, 1000), dtype=np.float32) for _ in range(10)]

    def build(self, lib):
        params = []
        for p0, g in zip(self.p0, self.g):
            p = lib.nn.Parameter(lib.from_numpy(p0.copy()))
            p.grad = lib.from_numpy(g.copy())
            params.append(p)
        opt = self.make_opt(lib, params, **(self.torch_kwargs if lib.__name__ == "torch" else {}))
        return opt.step, lambda: [_to_np(p) for p in params]


class Adam10M(_OptStep):
    name = "adam_10m"
    about = ("Adam (lr 1e-3) step over 10 M float32 params (ten 1000x1000), vs torch.optim.Adam's default "
             "(on CPU: the per-tensor loop; foreach defaults on only for GPU tensors)")
    target = 1.0
    traffic = 7 * 4 * _OptStep.N_PARAMS  # reads p, g, m, v; writes p, m, v
    bound_target = 1.3

    @staticmethod
    def make_opt(lib, params, **kw):
        return lib.optim.Adam(params, lr=1e-3, **kw)


class Adam10MForeach(Adam10M):
    name = "adam_10m_foreach"
    about = "adam_10m vs torch.optim.Adam(foreach=True)"
    target = None
    default = False
    torch_kwargs = {"foreach": True}


class Adam10MFused(Adam10M):
    name = "adam_10m_fused"
    about = "adam_10m vs torch.optim.Adam(fused=True) (torch's fused CPU kernel)"
    target = None
    default = False
    torch_kwargs = {"fused": True}


class SGDMomentum10M(_OptStep):
    name = "sgd_momentum_10m"
    about = "SGD (lr 0.01, momentum 0.9) step over 10 M float32 params, vs torch.optim.SGD's default"
    target = 1.0
    traffic = 5 * 4 * _OptStep.N_PARAMS  # reads p, g, buf; writes p, buf

    @staticmethod
    def make_opt(lib, params, **kw):
        return lib.optim.SGD(params, lr=0.01, momentum=0.9, **kw)


class SGDMomentum10MFused(SGDMomentum10M):
    name = "sgd_momentum_10m_fused"
    about = "sgd_momentum_10m vs torch.optim.SGD(fused=True)"
    target = None
    default = False
    torch_kwargs = {"fused": True}


class MnistMLPAdamStep(MnistMLPStep):
    name = "mlp_adam_step"
    about = "784-256-128-10 ReLU MLP, batch 128, cross-entropy, Adam lr 1e-3: one step"
    target = 1.0
    opt, lr = "adam", 1e-3
    # Adam moves a weight by ~lr * g / (|g| + eps): where |g| is near eps, rounding in g shows at up to ~2e-5
    # (a handful of weights); a wrong update shows at the scale of lr = 1e-3.
    tol = (1e-4, 1e-4)


# --- elementwise and loss kernels ---

class GeluFwdBwd(Workload):
    name = "gelu_fwdbwd"
    about = "F.gelu (erf form) forward + backward on 10^7 float32"
    target = 1.0

    def __init__(self, np):
        super().__init__(np)
        rng = np.random.default_rng(8)
        self.x = rng.standard_normal(10 ** 7, dtype=np.float32) * 3
        self.dy = rng.standard_normal(10 ** 7, dtype=np.float32)

    def build(self, lib):
        x = _leaf(lib, self.x)
        return _fwd_bwd(lambda: lib.nn.functional.gelu(x), [x], lib.from_numpy(self.dy))


class CrossEntropyFwdBwd(Workload):
    name = "cross_entropy_fwdbwd"
    about = "F.cross_entropy on 1024x1000 float32 logits, int64 targets, forward + backward"
    target = 1.0

    def __init__(self, np):
        super().__init__(np)
        rng = np.random.default_rng(9)
        self.x = rng.standard_normal((1024, 1000), dtype=np.float32) * 2
        self.t = rng.integers(0, 1000, size=1024, dtype=np.int64)

    def build(self, lib):
        x, t = _leaf(lib, self.x), lib.from_numpy(self.t)
        out = [None]

        def step():
            x.grad = None
            out[0] = lib.nn.functional.cross_entropy(x, t)
            out[0].backward()
        return step, lambda: [_to_np(out[0]), _to_np(x.grad)]


class BatchNorm2dFwdBwd(Workload):
    name = "batchnorm2d_fwdbwd"
    about = "BatchNorm2d(64) training mode, forward + backward on 8x64x56x56 (also compares running stats)"
    target = 1.0
    needs = ("nn.BatchNorm2d",)
    tol = (1e-4, 1e-5)

    def __init__(self, np):
        super().__init__(np)
        rng = np.random.default_rng(10)
        self.x = rng.standard_normal((_N, _C, _H, _W), dtype=np.float32) * 2 + 0.5
        self.dy = rng.standard_normal((_N, _C, _H, _W), dtype=np.float32)

    def build(self, lib):
        bn = lib.nn.BatchNorm2d(_C)
        bn.train()
        x = _leaf(lib, self.x)
        step, probe = _fwd_bwd(lambda: bn(x), [x, bn.weight, bn.bias], lib.from_numpy(self.dy))
        return step, lambda: probe() + [_to_np(bn.running_mean), _to_np(bn.running_var)]


# --- recurrent networks: input (T, B, F) = (50, 32, 64), hidden 256, one layer, time-major (PyTorch's default) ---

class _RNN(Workload):
    T, B, I, H = 50, 32, 64, 256
    target = 0.8
    tol = (1e-3, 1e-5)
    cell = "LSTM"

    def __init__(self, np):
        super().__init__(np)
        rng = np.random.default_rng(11)
        self.x = rng.standard_normal((self.T, self.B, self.I), dtype=np.float32)
        self.dy = rng.standard_normal((self.T, self.B, self.H), dtype=np.float32)

    def rnn(self, lib):
        return _init_params(lib, self.np, getattr(lib.nn, self.cell)(self.I, self.H), seed=11)


class LSTMFwd(_RNN):
    name = "lstm_fwd"
    about = "nn.LSTM(64, 256), T=50, batch 32: forward under no_grad"
    needs = ("nn.LSTM",)

    def build(self, lib):
        lstm, x, out = self.rnn(lib), lib.from_numpy(self.x), [None]

        def step():
            with lib.no_grad():
                out[0] = lstm(x)
        return step, lambda: [_to_np(out[0][0]), _to_np(out[0][1][0]), _to_np(out[0][1][1])]


class LSTMFwdBwd(_RNN):
    name = "lstm_fwdbwd"
    about = "nn.LSTM(64, 256), T=50, batch 32: forward + backward of the output sequence"
    needs = ("nn.LSTM",)

    def build(self, lib):
        lstm, x = self.rnn(lib), _leaf(lib, self.x)
        return _fwd_bwd(lambda: lstm(x)[0], [x, *lstm.parameters()], lib.from_numpy(self.dy))


class GRUFwdBwd(_RNN):
    name = "gru_fwdbwd"
    about = "nn.GRU(64, 256), T=50, batch 32: forward + backward of the output sequence"
    needs = ("nn.GRU",)
    cell = "GRU"

    def build(self, lib):
        gru, x = self.rnn(lib), _leaf(lib, self.x)
        return _fwd_bwd(lambda: gru(x)[0], [x, *gru.parameters()], lib.from_numpy(self.dy))


class EmbedLSTMStep(Workload):
    name = "embed_lstm_step"
    about = ("Embedding(10000, 64) -> LSTM(64, 128) -> Linear(128, 1) on the last step, 32 sequences of 100 "
             "tokens, BCEWithLogits, Adam: one step")
    target = 0.8
    needs = ("nn.Embedding", "nn.LSTM")
    tol = (1e-3, 1e-4)  # Adam: see mlp_adam_step

    def __init__(self, np):
        super().__init__(np)
        rng = np.random.default_rng(12)
        self.tokens = rng.integers(0, 10000, size=(100, 32), dtype=np.int64)  # (T, B): time-major
        self.labels = rng.integers(0, 2, size=(32, 1)).astype(np.float32)

    def build(self, lib):
        nn = lib.nn
        emb = _init_params(lib, self.np, nn.Embedding(10000, 64), seed=12)
        lstm = _init_params(lib, self.np, nn.LSTM(64, 128), seed=13)
        fc = _init_params(lib, self.np, nn.Linear(128, 1), seed=14)
        params = [*emb.parameters(), *lstm.parameters(), *fc.parameters()]
        opt = lib.optim.Adam(params, lr=1e-3)
        crit = nn.BCEWithLogitsLoss()
        tokens, labels = lib.from_numpy(self.tokens), lib.from_numpy(self.labels)

        def forward():
            out, _ = lstm(emb(tokens))      # out: (T, B, 128)
            return crit(fc(out[-1]), labels)
        return _train_step(params, forward, opt)


class KerasFitOverhead(Workload):
    """What nc.keras's training loop adds: one epoch of LeNet-5 through model.fit(epochs=1, verbose=0) against a
    hand-written loop over the same batches with the same model, loss and optimizer (shuffle with nc.randperm,
    index the NumPy data, forward, loss, zero_grad, backward, step, loss.item()). Both sides are neurocore, so
    ratio = hand loop / fit, and fit adding at most 10% means ratio >= 1 / 1.1. Both seed nc's generator the
    same way, so they draw the same weights and batch orders and the check compares the trained weights.
    The reference side needs neurocore in its process: in --isolate mode (no neurocore in the reference worker)
    only fit's time is shown."""
    name = "keras_fit_overhead"
    about = ("nc.keras LeNet-5 (32x32x1 channels-last, tanh, softmax), 512 images in batches of 32, Adam: one "
             "epoch of model.fit (verbose=0) vs a hand-written nc loop over the same batches "
             "(reference: neurocore; ratio = loop / fit)")
    reference = "neurocore"
    target = 1 / 1.1
    needs = ("keras.Sequential",)
    N, BATCH = 512, 32

    def __init__(self, np):
        super().__init__(np)
        rng = np.random.default_rng(14)
        self.x = rng.standard_normal((self.N, 32, 32, 1), dtype=np.float32)
        self.y = rng.integers(0, 10, size=self.N, dtype=np.int64)

    @staticmethod
    def _model(nc):
        from neurocore.keras import Sequential
        from neurocore.keras.layers import AveragePooling2D, Conv2D, Dense, Flatten
        nc.manual_seed(14)
        model = Sequential([Conv2D(6, 5, activation="tanh", input_shape=(32, 32, 1)), AveragePooling2D(2),
                            Conv2D(16, 5, activation="tanh"), AveragePooling2D(2), Flatten(),
                            Dense(120, activation="tanh"), Dense(84, activation="tanh"),
                            Dense(10, activation="softmax")])
        opt = nc.optim.Adam(model.parameters(), lr=1e-3)
        model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
        return model, opt

    def nc_nn(self, nc):
        model, _ = self._model(nc)
        x, y = self.x, self.y

        def step():
            model.fit(x, y, batch_size=self.BATCH, epochs=1, verbose=0)
        return step, lambda: [_to_np(p) for p in model.parameters()]

    def ref(self, nc):
        model, opt = self._model(nc)
        loss_fn = nc.keras.losses.get("sparse_categorical_crossentropy")
        x, y, n, batch = self.x, self.y, self.N, self.BATCH

        def step():
            model.train()
            order = nc.randperm(n).numpy()
            total = 0.0
            for start in range(0, n, batch):
                idx = order[start:start + batch]
                xb, yb = nc.tensor(x[idx]), nc.tensor(y[idx])
                loss = loss_fn(yb, model(xb))
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            return total / n
        return step, lambda: [_to_np(p) for p in model.parameters()]


WORKLOADS = [XorStep, MnistMLPStep, Matmul1024, Conv2dFwd, Conv2dFwdBwd, MaxPool2x2FwdBwd, LeNetStep,
             Adam10M, SGDMomentum10M, MnistMLPAdamStep, GeluFwdBwd, CrossEntropyFwdBwd, BatchNorm2dFwdBwd,
             LSTMFwd, LSTMFwdBwd, GRUFwdBwd, EmbedLSTMStep, KerasFitOverhead,
             # not in the default run (--only NAME or --all):
             MaxPool2x2Fwd, AvgPool2x2FwdBwd, MaxPool3x3s2FwdBwd, GapFwdBwd,
             Adam10MForeach, Adam10MFused, SGDMomentum10MFused]


def _missing(nc, W):
    """The neurocore attributes W needs that this build lacks, as 'nc.nn.LSTM'."""
    out = []
    for path in W.needs:
        obj = nc
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if obj is None:
            out.append("nc." + path)
    return out


# ----------------------------------------------------------------------------------------------------------------
# Machine rates: what the hardware gives at this thread count, measured by neurocore in its own process.
# ----------------------------------------------------------------------------------------------------------------

def _best_and_median(work, times):
    """Rates (work / seconds) of the fastest and the median sample: the fastest is what the machine gives when
    nobody else is using it, the nearest thing to a peak on a shared machine."""
    return work / min(times), work / statistics.median(times)


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class SgemmProbe:
    """GFLOP/s of a 2048^3 float32 matmul through neurocore (its OpenBLAS GEMM on our threads). sample() takes
    one; bench_one takes one per round of the workload's samples, so the peak comes from the same minutes."""

    def __init__(self, nc, np, threads):
        self.n = n = 2048
        rng = np.random.default_rng(13)
        self.a = nc.from_numpy(rng.standard_normal((n, n), dtype=np.float32))
        self.b = nc.from_numpy(rng.standard_normal((n, n), dtype=np.float32))
        self.times = []
        self.a @ self.b

    def sample(self):
        self.times.append(_timed(lambda: self.a @ self.b))

    def result(self):
        best, median = _best_and_median(2 * self.n ** 3 / 1e9, self.times)
        return {"n": self.n, "gflops": best, "gflops_median": median, "seconds": self.times}


class BandwidthProbe:
    """Memory bandwidth, bytes read + written / time over 256 MiB float32 arrays, for these kernels:
      copy      c = a        NumPy (memcpy: non-temporal stores) and neurocore's copy_; counted 2 x 256 MiB
      add       a += b       NumPy; counted 3 x 256 MiB. Every line it writes it has read, as in an optimizer
                             step; a copy with ordinary stores also reads each destination line before writing
                             it (write-allocate) without that being counted, so it can show 2/3 of the bandwidth.
    NumPy kernels run on `threads` threads (one slice of the arrays each), like neurocore's. sample() times each
    kernel once. Each kernel's rate is its fastest sample's (one core here gives only about half the bandwidth of
    two, so a sample taken while a neighbour holds a core is slow); bounds use the fastest kernel."""

    def __init__(self, nc, np, threads):
        from concurrent.futures import ThreadPoolExecutor
        m = self.m = 64 * 2 ** 20  # float32 elements: 256 MiB per array; np.full writes every page first
        x, y, z = (np.full(m, v, dtype=np.float32) for v in (1.0, 0.0, 2.0))
        nx, nz = nc.from_numpy(x), nc.from_numpy(z)
        self.pool = pool = ThreadPoolExecutor(threads)
        parts = [slice(i * m // threads, (i + 1) * m // threads) for i in range(threads)]

        def numpy_kernel(fn):
            return (lambda: fn(slice(None))) if threads == 1 else (lambda: list(pool.map(fn, parts)))

        self.kernels = {  # name: (function, bytes counted)
            "numpy_copy": (numpy_kernel(lambda s: np.copyto(z[s], x[s])), 2 * 4 * m),
            "numpy_add": (numpy_kernel(lambda s: np.add(x[s], y[s], out=x[s])), 3 * 4 * m),
            "neurocore_copy": (lambda: nz.copy_(nx), 2 * 4 * m),
        }
        self.times = {k: [] for k in self.kernels}
        for fn, _ in self.kernels.values():
            fn()

    def sample(self):
        for k, (fn, _) in self.kernels.items():
            self.times[k].append(_timed(fn))

    def result(self):
        self.pool.shutdown()
        gbs = {k: _best_and_median(self.kernels[k][1] / 1e9, t)[0] for k, t in self.times.items()}
        return {"array_bytes": 4 * self.m, "gbs": max(gbs.values()), "gbs_by_kernel": gbs,
                "gbs_median_by_kernel": {k: _best_and_median(self.kernels[k][1] / 1e9, t)[1]
                                         for k, t in self.times.items()},
                "seconds": self.times}


PROBES = {"sgemm": SgemmProbe, "bandwidth": BandwidthProbe}


# ----------------------------------------------------------------------------------------------------------------
# Timing. A runner holds one library's side of one workload; LocalRunner runs it in this process,
# WorkerRunner in a worker process (--isolate) that answers the same calls over a pipe.
# ----------------------------------------------------------------------------------------------------------------

def _run(step, n):
    """Seconds per iteration over n back-to-back iterations, with the garbage collector off (as timeit does).
    No full collection per sample: with torch loaded one takes ~0.1 s; prepare() runs one before the samples."""
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
    # OpenBLAS picks its GEMM kernels from this when set (neurocore sets it only while loading, when unset):
    # Haswell (AVX2) kernels run at about half the AVX-512 ones' rate on AVX-512 CPUs.
    info["openblas_coretype"] = os.environ.get("OPENBLAS_CORETYPE")
    if "neurocore" in libs:
        info["has_nn"] = _has_nn(libs["neurocore"])
        info["api"] = _resolve_api(libs["neurocore"], api)
        info["missing"] = {W.name: m for W in WORKLOADS if (m := _missing(libs["neurocore"], W))}
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
        self.w = self.step = None  # free the last workload's arrays (and a failed one's machine probes) first
        for p in getattr(self, "probes", {}).values():
            p.result()
        self.probes = {}
        gc.collect()
        self.w = WORKLOADS_BY_NAME[name](self.libs["numpy"])

    def machine_open(self, kinds):
        nc = self.libs["neurocore"]
        self.probes = {k: PROBES[k](nc, self.libs["numpy"], nc.get_num_threads()) for k in kinds}

    def machine_sample(self):
        for p in self.probes.values():
            p.sample()

    def machine_close(self):
        out = {k: p.result() for k, p in self.probes.items()}
        self.probes = {}
        return out

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
        gc.collect()
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

    def machine_open(self, kinds):
        return self._call("machine_open", kinds=kinds)

    def machine_sample(self):
        return self._call("machine_sample")

    def machine_close(self):
        return self._call("machine_close")

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
            elif op in ("machine_open", "machine_sample", "machine_close"):
                result = getattr(runner, op)(**req)
            else:
                raise ValueError(f"unknown op {op!r}")
            reply = {"result": result}
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        proto.write(json.dumps(reply) + "\n")
        proto.flush()
    return 0


def _check(a, b, np, rtol, atol):
    """Elementwise |a - b| <= atol * max(1, max |b|) + rtol * |b|: atol scales with the array's largest value, so
    a weight gradient summed over 25,000 terms is judged against its own size."""
    if len(a) != len(b):
        return f"MISMATCH: {len(a)} vs {len(b)} arrays"
    worst = 0.0
    for i, (x, y) in enumerate(zip(a, b)):
        if x.shape != y.shape:
            return f"MISMATCH: array {i}: shapes {x.shape} vs {y.shape}"
        scale = max(1.0, float(np.max(np.abs(y)))) if y.size else 1.0
        if not np.allclose(x, y, rtol=rtol, atol=atol * scale):
            return f"MISMATCH: array {i}: max abs diff {float(np.max(np.abs(x - y))):.3g} (max |ref| {scale:.3g})"
        worst = max(worst, float(np.max(np.abs(x - y))) / scale if x.size else 0.0)
    return f"ok (max diff {worst:.1e})"


def _stats(samples):
    s = sorted(samples)
    q = statistics.quantiles(s, n=4) if len(s) >= 2 else [s[0]] * 3
    return {"median": statistics.median(s), "min": s[0], "q1": q[0], "q3": q[2], "samples": samples}


def _verdict(value, target, higher_is_better=True):
    if value is None or target is None:
        return None
    return value >= target if higher_is_better else value <= target


def _pause(args, W):
    """Seconds to sleep before a sample that follows the other library's. NumPy's OpenBLAS threads spin ~0.1 s
    after a call before they sleep; libgomp's threads (torch's, neurocore's) spin for GOMP_SPINCOUNT = 300,000
    iterations by default, a few milliseconds."""
    if args.pause is not None:
        return args.pause
    return 0.2 if W.reference == "numpy" else 0.05


def bench_one(W, runners, have_ref, args, np, log):
    """runners: {"nc": runner, "ref": runner}; each side has its own runner (LocalRunner or WorkerRunner)."""
    ref_name = W.reference
    result = {"workload": W.name, "about": W.about, "reference": ref_name, "target": W.target}
    sides = ["nc"] + (["ref"] if have_ref else [])
    for s in sides:
        runners[s].open(W.name)

    # Same numbers first: a few steps from identical weights must agree.
    if have_ref:
        rtol, atol = W.tol
        result["check"] = _check(runners["nc"].probe("nc"), runners["ref"].probe("ref"), np, rtol, atol)
        if result["check"].startswith("MISMATCH"):
            log(f"  {W.name}: neurocore and {ref_name} disagree: {result['check']}")
    else:
        runners["nc"].probe("nc")
        result["check"] = f"skipped ({ref_name} not installed)"

    iters = {s: runners[s].prepare(s, args.min_time, args.warmup) for s in sides}
    # What the machine gives (sgemm, bandwidth), sampled in neurocore's process right after each neurocore sample.
    probes = ["sgemm"] * bool(W.flops) + ["bandwidth"] * bool(W.traffic)
    if probes:
        runners["nc"].machine_open(probes)
    runs = {s: [] for s in sides}
    last = sides[-1]  # the last library to run (calibration)
    pause = _pause(args, W)
    result["pause"] = pause
    for i in range(args.repeat):
        order = sides if i % 2 == 0 else sides[::-1]  # alternate which library goes first
        for s in order:
            if pause and s != last:  # let the other library's idle threads go to sleep first
                time.sleep(pause)
            runs[s].append(runners[s].sample())
            if s == "nc" and probes:
                runners["nc"].machine_sample()
            last = s
    machine = runners["nc"].machine_close() if probes else {}
    sgemm, bandwidth = machine.get("sgemm"), machine.get("bandwidth")
    label = {"nc": "neurocore", "ref": ref_name}
    result["iters_per_sample"] = {label[s]: iters[s] for s in sides}
    result["neurocore"] = _stats(runs["nc"])
    result["ref"] = _stats(runs["ref"]) if have_ref else None
    result["ratio"] = result["ref"]["median"] / result["neurocore"]["median"] if have_ref else None
    result["meets_target"] = _verdict(result["ratio"], W.target)
    # The fastest samples' ratio: less disturbed by other processes (each sample's slowdown only adds time).
    result["ratio_of_mins"] = result["ref"]["min"] / result["neurocore"]["min"] if have_ref else None
    t_nc = result["neurocore"]["median"]
    t_ref = result["ref"]["median"] if have_ref else None
    if sgemm:
        peak = sgemm["gflops"]
        result["rate"] = {"flops": W.flops, "neurocore_gflops": W.flops / t_nc / 1e9,
                          "neurocore_gflops_fastest": W.flops / result["neurocore"]["min"] / 1e9,
                          "ref_gflops": W.flops / t_ref / 1e9 if t_ref else None, "sgemm_gflops": peak,
                          "neurocore_fraction_of_sgemm": W.flops / t_nc / 1e9 / peak, "sgemm": sgemm}
    if bandwidth:
        gbs = bandwidth["gbs"]
        bound = W.traffic / (gbs * 1e9)
        result["bound"] = {"bytes": W.traffic, "bandwidth_gbs": gbs, "bound_time": bound,
                           "neurocore_over_bound": t_nc / bound,
                           "neurocore_fastest_over_bound": result["neurocore"]["min"] / bound,
                           "ref_over_bound": t_ref / bound if t_ref else None,
                           "target": W.bound_target, "meets_target": _verdict(t_nc / bound, W.bound_target, False),
                           "bandwidth": bandwidth}
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


def _vs_machine(r):
    """The table's 'vs machine' cell: GFLOP/s against sgemm, or time against the memory-traffic bound."""
    if "rate" in r:
        q = r["rate"]
        ref = f", ref {q['ref_gflops']:.0f}" if q["ref_gflops"] else ""
        return (f"{q['neurocore_gflops']:.0f} GFLOP/s = {q['neurocore_fraction_of_sgemm'] * 100:.0f}% of sgemm "
                f"{q['sgemm_gflops']:.0f}{ref}")
    if "bound" in r:
        q = r["bound"]
        ref = f", ref {q['ref_over_bound']:.2f}x" if q["ref_over_bound"] else ""
        tgt = "" if q["target"] is None else \
            f" (<= {q['target']:g} {'ok' if q['meets_target'] else 'MISS'})"
        return (f"{q['neurocore_over_bound']:.2f}x (fastest {q['neurocore_fastest_over_bound']:.2f}x) bound "
                f"{_fmt_time(q['bound_time'])} at {q['bandwidth_gbs']:.0f} GB/s{tgt}{ref}")
    return ""


def print_table(head, results):
    nc_info, ref_info = head["processes"]["neurocore"], head["processes"]["reference"]
    print(f"neurocore {nc_info.get('neurocore', '?')} ({nc_info.get('neurocore_path')}, api: {head['neurocore_api']})")
    print(f"torch {ref_info.get('torch') or 'not installed'} | numpy {ref_info.get('numpy')} | python {head['python']}")
    print(f"CPU: {head['cpu']} ({head['logical_cpus']} logical CPUs) | threads: {head['threads']} "
          f"| {head['repeat']} alternating samples of >= {head['min_time'] * 1e3:g} ms each, "
          f"pause before each switch of library: "
          f"{'%g s' % head['pause'] if head['pause'] is not None else '0.05 s (0.2 s against NumPy)'}")
    if head["isolate"]:
        print("mode: --isolate (each library in its own worker process, with its own OpenMP runtime)")
    else:
        gomp = [p for p in nc_info.get("loaded_libs", []) if "gomp" in os.path.basename(p)]
        shared = " (shared by both libraries)" if ref_info.get("torch") else ""
        print(f"mode: one process; OpenMP runtime{shared}: {', '.join(gomp) or '?'}")
    wp = head["omp_wait_policy"]
    print(f"OMP_WAIT_POLICY as each library's OpenMP runtime read it: neurocore {wp['neurocore'] or 'unset'}, "
          f"reference {wp['reference'] or 'unset'} | OPENBLAS_CORETYPE (neurocore's GEMM kernels): "
          f"{nc_info.get('openblas_coretype') or 'unset (neurocore picks)'}")
    print("ratio = reference median / neurocore median (> 1: neurocore faster)")
    print("spread = interquartile range / median of each library's samples (large: the machine was busy); "
          "min ratio = reference fastest sample / neurocore fastest sample")
    if any("rate" in r or "bound" in r for r in results):
        print("vs machine, sampled in neurocore's process after each of its samples, fastest sample counts: "
              "GFLOP/s against sgemm (2048^3, neurocore's matmul);")
        print("  or neurocore median time / bound (and its fastest sample's), bound = bytes moved per step / memory "
              "bandwidth (fastest of copy and in-place add over 256 MiB: BandwidthProbe)")
    print()
    cols = ["workload", "vs", "neurocore", "reference", "ratio", "target", "", "spread nc/ref", "min ratio",
            "vs machine", "check"]
    rows = []
    spread = lambda st: f"{(st['q3'] - st['q1']) / st['median'] * 100:.0f}%" if st else "-"  # noqa: E731
    for r in results:
        target = "-" if r["target"] is None else f">= {r['target']:g}"
        if "skipped" in r or "error" in r:
            note = f"skipped: {r['skipped']}" if "skipped" in r else f"ERROR: {r['error']}"
            rows.append([r["workload"], r["reference"], "-", "-", "-", target, "" if "skipped" in r else "ERROR",
                         "-", "-", "", note])
            continue
        ratio = r["ratio"]
        verdict = "" if r["meets_target"] is None else ("ok" if r["meets_target"] else "MISS")
        rows.append([r["workload"], r["reference"], _fmt_time(r["neurocore"]["median"]),
                     _fmt_time(r["ref"]["median"] if r["ref"] else None),
                     "-" if ratio is None else f"{ratio:.2f}", target, verdict,
                     f"{spread(r['neurocore'])}/{spread(r['ref'])}",
                     "-" if r["ratio_of_mins"] is None else f"{r['ratio_of_mins']:.2f}", _vs_machine(r), r["check"]])
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
from the environment when it loaded. Both libraries use libgomp's default wait policy (spin briefly, then sleep),
but in one process they also share its threads, and each library's idle threads can still be spinning when the
other starts. --isolate runs each library in its own worker process, still alternating sample by sample, so
that each runs as it would alone."""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=_OPENMP_NOTE)
    p.add_argument("--threads", type=int, default=2, help="threads for both libraries (default 2)")
    p.add_argument("--only", action="append", choices=list(WORKLOADS_BY_NAME), metavar="NAME",
                   help="run only this workload (repeatable): "
                        f"{', '.join(W.name for W in WORKLOADS if W.default)}; not in the default run: "
                        f"{', '.join(W.name for W in WORKLOADS if not W.default)}")
    p.add_argument("--all", action="store_true", help="run every workload, including those not in the default run")
    p.add_argument("--repeat", type=int, default=15, help="timed samples per library (default 15)")
    p.add_argument("--min-time", type=float, default=0.05,
                   help="minimum seconds per sample; tiny workloads run many iterations per sample (default 0.05)")
    p.add_argument("--warmup", type=float, default=0.2, help="warm-up seconds per library and workload")
    p.add_argument("--pause", type=float, default=None,
                   help="seconds to sleep before a sample that follows the other library's, so that library's idle "
                        "threads stop competing for the cores; 0 to disable (default: 0.2 against NumPy, whose "
                        "OpenBLAS threads spin ~0.1 s after a call; 0.05 against torch, whose OpenMP threads spin "
                        "a few ms)")
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
            log("note: in one process neurocore and torch share torch's OpenMP runtime and its threads; "
                "--isolate times each library in its own process.")

    try:
        args.api = nc_info["api"]
        if args.api == "core" and not nc_info["has_nn"]:
            log("nc.nn / nc.optim not found: timing neurocore's core ops directly (--api core)")
        if "torch" not in ref_info:
            log("torch is not installed: torch workloads show neurocore timings only")
        selected = [W for W in WORKLOADS if (W.name in args.only if args.only else args.all or W.default)]
        results = []
        for W in selected:
            if W.name in nc_info["missing"]:
                results.append({"workload": W.name, "about": W.about, "reference": W.reference, "target": W.target,
                                "skipped": f"needs {', '.join(nc_info['missing'][W.name])} (not in this neurocore)",
                                "meets_target": None})
                continue
            if not args.json:
                log(f"running {W.name} ...")
            have_ref = W.reference in ref_info
            t0 = time.perf_counter()
            try:
                results.append(bench_one(W, {"nc": nc_runner, "ref": ref_runner}, have_ref, args, libs["numpy"], log))
            except Exception as exc:  # noqa: BLE001 - one broken workload must not lose the others' results
                log(f"  {W.name}: {type(exc).__name__}: {exc}")
                results.append({"workload": W.name, "about": W.about, "reference": W.reference, "target": W.target,
                                "error": f"{type(exc).__name__}: {exc}", "meets_target": None})
            results[-1]["wall_seconds"] = time.perf_counter() - t0
            if not args.json:
                log(f"  {W.name}: {results[-1]['wall_seconds']:.1f} s")
    finally:
        for w in workers:
            w.close()

    # The OMP_WAIT_POLICY each library's OpenMP runtime read when it loaded (unset: libgomp's default).
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
