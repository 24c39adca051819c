"""Keras normalization layers BatchNormalization and LayerNormalization over nn.functional's fused kernels.

Keras conventions, which differ from PyTorch's nn.BatchNorm*: ``momentum`` is the weight of the *old* moving
value (moving = momentum * moving + (1 - momentum) * batch; PyTorch's momentum is 1 - Keras'), the moving
variance takes the *biased* batch variance (checked against Keras 3.15), epsilon defaults to 1e-3, and a layer
with ``trainable=False`` always normalizes with its moving statistics, as in inference.
"""
import numbers

from ... import nn
from ..._tensor import zeros
from ...autograd import no_grad
from ...nn import functional as F
from .. import initializers, regularizers
from .base import Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


def _axis_index(axis, ndim, layer):
    """A non-negative index of the full input shape (batch axis included); the batch axis is refused."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) or not -ndim <= axis < ndim:
        raise ValueError(f'Layer "{layer.name}": axis {axis!r} is out of bounds for an input of rank {ndim}')
    axis = int(axis) % ndim
    if axis == 0:
        raise ValueError(f'Layer "{layer.name}": cannot normalize along the batch axis (axis=0)')
    return axis


def _make_gamma_and_beta(layer, shape):
    """The scale (gamma, if ``layer.scale``) and offset (beta, if ``layer.center``) weights of a normalization
    layer, initialized, with their regularizers registered."""
    layer._regularized = []
    layer.gamma = nn.Parameter(zeros(*shape)) if layer.scale else None
    layer.beta = nn.Parameter(zeros(*shape)) if layer.center else None
    for weight, init, reg in ((layer.gamma, layer.gamma_initializer, layer.gamma_regularizer),
                              (layer.beta, layer.beta_initializer, layer.beta_regularizer)):
        if weight is not None:
            initializers.initialize_(weight, init)
            if reg is not None:
                layer._regularized.append((reg, weight))


class BatchNormalization(Layer):
    """Normalizes each feature along ``axis`` (default the last, channels-last) by batch statistics in training
    and by moving statistics in inference: y = gamma * (x - mean) / sqrt(var + epsilon) + beta.

    Weights in Keras order: gamma, beta (trainable), moving_mean, moving_variance (non-trainable nn buffers).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import BatchNormalization
    >>> bn = BatchNormalization(momentum=0.5)
    >>> x = nc.tensor([[0.0, 10.0], [2.0, 30.0]])
    >>> y = bn(x, training=True)  # as in fit: batch statistics, moving statistics updated
    >>> [w.tolist() for w in bn.get_weights()[2:]]  # moving = 0.5 * old + 0.5 * batch (biased variance)
    [[0.5, 10.0], [1.0, 50.5]]
    >>> bn(x).tolist() == bn(x, training=False).tolist()  # a plain call runs in inference mode, as in Keras
    True
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(f"BatchNormalization: axis must be an int, got {axis!r}")
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum!r}")
        if not float(epsilon) >= 0.0:
            raise ValueError(f"BatchNormalization: epsilon must be non-negative, got {epsilon!r}")
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _check_input(self, input_shape):
        self._axis = _axis_index(self.axis, len(input_shape) + 1, self)

    supports_masking = True

    def _build(self, input_shape):
        channels = input_shape[self._axis - 1]
        self._fix_input_axes({self.axis: channels}, ndim=len(input_shape) + 1)
        _make_gamma_and_beta(self, (channels,))
        self.register_buffer("moving_mean", initializers.initialize_(zeros(channels), self.moving_mean_initializer))
        self.register_buffer("moving_variance", initializers.initialize_(zeros(channels),
                                                                         self.moving_variance_initializer))

    def _as_ncl(self, x):
        """x viewed as (A, C) or (A, C, B), the layout F.batch_norm normalizes over dim 1."""
        shape = x.shape
        before = 1
        for d in shape[:self._axis]:
            before *= d
        after = 1
        for d in shape[self._axis + 1:]:
            after *= d
        return x.reshape(before, shape[self._axis]) if after == 1 else x.reshape(before, shape[self._axis], after)

    def call(self, x):
        flat = self._as_ncl(x)
        mask = getattr(x, "_keras_mask", None)
        if mask is not None and mask.ndim != x.ndim - 1:
            raise ValueError(f'Layer "{self.name}": the mask provided should be one dimension less than the inputs. '
                             f"Received: mask.shape={tuple(mask.shape)}, inputs.shape={tuple(x.shape)}")
        if not (self.training and self.trainable):
            y = F.batch_norm(flat, self.moving_mean, self.moving_variance, self.gamma, self.beta, False, 0.0,
                             self.epsilon)
            return y.reshape(x.shape)
        count = flat.numel() // flat.shape[1]
        if mask is not None:  # Keras: the batch statistics come from the unmasked positions only
            y, batch_mean, batch_var = self._masked_batch_norm(x, flat, mask)
        elif count == 1:  # one value per feature: it is the mean, the variance is 0
            y = flat * 0.0  # (x - mean) is 0, and so is its gradient
            y = y + self.beta.reshape(-1, *([1] * (flat.dim() - 2))) if self.beta is not None else y
            batch_mean, batch_var = flat.detach().reshape(-1), zeros(flat.shape[1], dtype=x.dtype)
        else:
            # momentum=1 makes the kernel write the batch mean and unbiased variance into the scratch tensors.
            batch_mean, batch_var = zeros(flat.shape[1], dtype=x.dtype), zeros(flat.shape[1], dtype=x.dtype)
            y = F.batch_norm(flat, batch_mean, batch_var, self.gamma, self.beta, True, 1.0, self.epsilon)
            batch_var = batch_var * ((count - 1) / count)  # Keras' moving variance takes the biased variance
        m = self.momentum
        with no_grad():
            self.moving_mean.copy_(self.moving_mean * m + batch_mean * (1.0 - m))
            self.moving_variance.copy_(self.moving_variance * m + batch_var * (1.0 - m))
        return y.reshape(x.shape)

    def _masked_batch_norm(self, x, flat, mask):
        """Normalization by the mean and (biased) variance of the unmasked positions, each step's mask covering
        the last axis (Keras' masked moments, epsilon 1e-7 in the counts); returns (y, mean, variance)."""
        weights = self._as_ncl(mask.to(x.dtype).unsqueeze(-1).expand(*x.shape).contiguous())
        dims = (0,) if flat.dim() == 2 else (0, 2)
        per_channel = (1, -1) if flat.dim() == 2 else (1, -1, 1)
        count = weights.sum(dims) + 1e-7
        mean = (flat * weights).sum(dims) / count
        centered = flat - mean.reshape(per_channel)
        var = (centered * weights).square().sum(dims) / count
        y = centered / (var + self.epsilon).sqrt().reshape(per_channel)
        if self.gamma is not None:
            y = y * self.gamma.reshape(per_channel)
        if self.beta is not None:
            y = y + self.beta.reshape(per_channel)
        return y, mean.detach(), var.detach()

    def _weight_pairs(self):
        same = lambda a: a  # noqa: E731
        weights = [w for w in (self.gamma, self.beta) if w is not None] + [self.moving_mean, self.moving_variance]
        return [(w, same, same) for w in weights]


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (an int or a list of ints, default the last axis) by its own mean and
    biased variance: y = gamma * (x - mean) / sqrt(var + epsilon) + beta, gamma and beta of the normalized axes'
    shape. Wraps F.layer_norm (the normalized axes are moved last when they are not already).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import LayerNormalization
    >>> ln = LayerNormalization(epsilon=0.0)
    >>> ln(nc.tensor([[1.0, 3.0], [5.0, 9.0]])).tolist()
    [[-1.0, 1.0], [-1.0, 1.0]]
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not float(epsilon) >= 0.0:
            raise ValueError(f"LayerNormalization: epsilon must be non-negative, got {epsilon!r}")
        self.axis, self.epsilon = axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    supports_masking = True

    def _check_input(self, input_shape):
        ndim = len(input_shape) + 1
        axes = list(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]
        if not axes:
            raise ValueError(f'Layer "{self.name}": axis must name at least one axis')
        self._axes = sorted({_axis_index(a, ndim, self) for a in axes})
        if len(self._axes) != len(axes):
            raise ValueError(f'Layer "{self.name}": axis {self.axis!r} repeats an axis')

    def _build(self, input_shape):
        ndim = len(input_shape) + 1
        self._shape = tuple(input_shape[a - 1] for a in self._axes)
        self._fix_input_axes({a - ndim: input_shape[a - 1] for a in self._axes}, ndim=ndim)
        others = [a for a in range(ndim) if a not in self._axes]
        self._perm = None
        if self._axes != list(range(ndim - len(self._axes), ndim)):  # not the trailing axes: move them last
            self._perm = others + self._axes
            self._inverse = [self._perm.index(a) for a in range(ndim)]
        _make_gamma_and_beta(self, self._shape)

    def call(self, x):
        if self._perm is not None:
            x = x.permute(*self._perm)
        y = F.layer_norm(x, self._shape, self.gamma, self.beta, self.epsilon)
        return y.permute(*self._inverse) if self._perm is not None else y

    def _weight_pairs(self):
        same = lambda a: a  # noqa: E731
        return [(w, same, same) for w in (self.gamma, self.beta) if w is not None]
