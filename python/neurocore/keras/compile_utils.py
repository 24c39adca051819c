"""compile() arguments resolved per model output, the training loss, and the running logs of fit/evaluate.

Keras 3's rules: ``loss`` is one loss for every output, a list (one per output, None = output not trained) or a
dict keyed by output name (all outputs); ``loss_weights`` a number (one output), a list or a dict;
``metrics`` a list for a one-output model, and for several outputs a list with one entry per output or a dict
by output name. Total loss = sum(weight_i * loss_i) + sum(model.losses). Logged names: "loss"; with more than
one loss, "<output>_loss" per output (unweighted); metrics by name, "<output>_<name>" for several outputs.
"""
from ..autograd import no_grad
from . import losses as losses_module
from . import metrics as metrics_module

__all__ = []


def _check_metric(m):
    if isinstance(m, metrics_module.Metric) or callable(m):
        return m
    if isinstance(m, str) and (m in ("accuracy", "acc") or m in metrics_module._BY_NAME):
        return m
    raise ValueError(f"Could not interpret metric identifier: {m!r}")


def _metric_list(entry):
    if entry is None:
        return []
    if isinstance(entry, (list, tuple)):
        return [_check_metric(m) for m in entry]
    return [_check_metric(entry)]


def _spec_name(m):
    if isinstance(m, str):
        return m
    return getattr(m, "name", None) or getattr(m, "__name__", "metric")


class CompilePlan:
    """Losses, loss weights and metric identifiers per output (``keys`` = output names, in model order)."""

    def __init__(self, keys, loss, loss_weights, metrics):
        self.keys = list(keys)
        self.loss_fns = self._losses(loss)
        self.weights = self._weights(loss_weights)
        self.metric_specs = self._metrics(metrics)
        self.active = [i for i, f in enumerate(self.loss_fns) if f is not None]
        self.loss_names = [f"{self.keys[i]}_loss" for i in self.active] if len(self.active) > 1 else []
        self.metric_objects = None  # made on the first batch, when the shapes of y and y_pred are known
        self.metric_names = None

    def _losses(self, loss):
        keys, n = self.keys, len(self.keys)
        if isinstance(loss, dict):
            if set(loss) != set(keys):
                raise ValueError(f"Expected keys {keys} in loss dict, but found loss.keys()={list(loss)}")
            specs = [loss[k] for k in keys]
        elif isinstance(loss, (list, tuple)):
            if len(loss) != n:
                raise ValueError(f"`loss` has {len(loss)} entries but the model has {n} output(s) {keys}: give one "
                                 "loss per output (None to leave an output untrained) or a dict keyed by output name")
            specs = list(loss)
        else:
            specs = [loss] * n
        fns = [None if s is None else losses_module.get(s) for s in specs]
        if all(f is None for f in fns):
            raise ValueError("compile(): every output's loss is None, so there is nothing to train")
        return fns

    def _weights(self, loss_weights):
        keys, n = self.keys, len(self.keys)
        if loss_weights is None:
            return [1.0] * n
        if isinstance(loss_weights, dict):
            unknown = [k for k in loss_weights if k not in keys]
            if unknown:
                raise ValueError(f"`loss_weights` has keys {unknown} that match no output; outputs are {keys}")
            return [float(loss_weights.get(k, 1.0)) for k in keys]
        if isinstance(loss_weights, (list, tuple)):
            if len(loss_weights) != n:
                raise ValueError(f"`loss_weights` must match the number of losses, got {n} losses and "
                                 f"{len(loss_weights)} weights.")
            return [float(w) for w in loss_weights]
        if isinstance(loss_weights, (int, float)) and not isinstance(loss_weights, bool):
            if n != 1:
                raise ValueError(f"A single number for `loss_weights` is only for a one-output model; this one has "
                                 f"{n} outputs {keys}: pass a list or a dict")
            return [float(loss_weights)]
        raise TypeError(f"Expected `loss_weights` to be a float (single output) or a list, tuple or dict. "
                        f"Received: loss_weights={loss_weights!r} of type {type(loss_weights).__name__}")

    def _metrics(self, metrics):
        keys, n = self.keys, len(self.keys)
        if not metrics:
            return [[] for _ in keys]
        if isinstance(metrics, str) or callable(metrics) or isinstance(metrics, metrics_module.Metric):
            metrics = [metrics]
        if isinstance(metrics, dict):
            unknown = [k for k in metrics if k not in keys]
            if unknown:
                raise ValueError(f"`metrics` has keys {unknown} that match no output; outputs are {keys}")
            return [_metric_list(metrics.get(k)) for k in keys]
        if not isinstance(metrics, (list, tuple)):
            raise ValueError(f"Expected `metrics` to be a list, tuple or dict. Received: metrics={metrics!r}")
        if n == 1:
            flat = []
            for m in metrics:
                flat.extend(_metric_list(m))
            return [flat]
        if len(metrics) == n:
            return [_metric_list(m) for m in metrics]
        raise ValueError(f"The model has {n} outputs {keys}: `metrics` must be a list with one entry per output "
                         f"(a metric, a list of metrics or None) or a dict keyed by output name. "
                         f"Received: metrics={metrics!r}")

    # ------------------------------------------------------------------ per batch

    def compute_loss(self, model, ys, outs):
        """(total loss tensor, [unweighted loss per active output])."""
        terms = []
        total = None
        for i in self.active:
            if ys[i] is None:
                raise ValueError(f"Output {self.keys[i]!r} has a loss but no target data was given for it")
            term = self.loss_fns[i](ys[i], outs[i])
            terms.append(term)
            w = self.weights[i]
            weighted = term if w == 1.0 else term * w
            total = weighted if total is None else total + weighted
        for penalty in model.losses:
            total = total + penalty
        return total, terms

    def build_metrics(self, ys, outs):
        if self.metric_objects is not None:
            return
        objects, names, seen = [], [], {}
        single = len(self.keys) == 1
        for i, specs in enumerate(self.metric_specs):
            row = []
            for spec in specs:
                if ys[i] is None:
                    continue
                m = metrics_module.get(spec, self.loss_fns[i], tuple(ys[i].shape), tuple(outs[i].shape))
                name = m.name if single else f"{self.keys[i]}_{m.name}"
                if name in seen:  # Keras numbers repeated names: acc, acc_1, ...
                    seen[name] += 1
                    name = f"{name}_{seen[name] - 1}"
                else:
                    seen[name] = 1
                row.append(m)
                names.append((i, m, name))
            objects.append(row)
        self.metric_objects = objects
        self.metric_names = names

    def names(self):
        """Log names in Keras' evaluate() order: loss, compiled metric names (as Keras lists them), per-output
        losses, then the rest sorted."""
        if self.metric_names is not None:
            metric_names = [name for _, _, name in self.metric_names]
            bare = [m.name for _, m, _ in self.metric_names]
        else:
            single = len(self.keys) == 1
            metric_names = [_spec_name(m) if single else f"{self.keys[i]}_{_spec_name(m)}"
                            for i, specs in enumerate(self.metric_specs) for m in specs]
            bare = [_spec_name(m) for specs in self.metric_specs for m in specs]
        keys = ["loss"] + self.loss_names + metric_names
        first = [n for n in ["loss"] + bare + self.loss_names if n in keys]
        ordered = list(dict.fromkeys(first))
        return ordered + sorted(k for k in keys if k not in ordered)


class LogTracker:
    """Sample-weighted running means of the total loss, per-output losses and the plan's metrics."""

    def __init__(self, plan):
        self.plan = plan
        self.reset()

    def reset(self):
        self.count = 0
        self.loss_sum = 0.0
        self.part_sums = [0.0] * len(self.plan.loss_names)
        for row in self.plan.metric_objects or []:
            for m in row:
                m.reset_state()

    def update(self, n, total, terms, ys, outs):
        plan = self.plan
        if plan.metric_objects is None:
            plan.build_metrics(ys, outs)
            for row in plan.metric_objects:
                for m in row:
                    m.reset_state()
        self.count += n
        self.loss_sum += total.item() * n
        if self.part_sums:
            for j, term in enumerate(terms):
                self.part_sums[j] += term.item() * n
        with no_grad():
            for i, row in enumerate(plan.metric_objects):
                if row:
                    out = outs[i].detach()
                    for m in row:
                        m.update_state(ys[i], out)

    def logs(self):
        """Current values, keys sorted as Keras 3 reports them."""
        plan = self.plan
        c = max(self.count, 1)
        logs = {"loss": self.loss_sum / c}
        for name, s in zip(plan.loss_names, self.part_sums):
            logs[name] = s / c
        for _, m, name in plan.metric_names or []:
            logs[name] = m.result()
        return dict(sorted(logs.items()))

    def flat(self, logs):
        """``logs`` as evaluate() returns them without return_dict: a float, or a list in Keras' order."""
        values = [logs[k] for k in self.plan.names() if k in logs]
        return values[0] if len(values) == 1 else values
