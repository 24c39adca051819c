"""Keras-named optimizers with Keras defaults; each creates the matching nc.optim optimizer at compile time."""
import inspect

from .. import optim

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "AdamW", "Adagrad", "get"]


class Optimizer:
    """Holds a Keras optimizer's configuration; ``_create(params)`` returns the nc.optim optimizer, which this
    object then keeps as ``_opt``.

    ``learning_rate`` is readable and settable at any time (callbacks such as ReduceLROnPlateau set it); setting
    it also updates every parameter group of the nc.optim optimizer already made. ``get_config()`` returns the
    constructor arguments, ``from_config(config)`` rebuilds an equal optimizer.
    """

    def __init__(self, learning_rate):
        self._opt = None
        self.learning_rate = learning_rate

    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"learning_rate must be a number, got {value!r}") from None
        if not value >= 0.0:
            raise ValueError(f"learning_rate must be a non-negative number, got {value}")
        self._learning_rate = value
        if self._opt is not None:
            for group in self._opt.param_groups:
                group["lr"] = value

    def _create(self, params):
        self._opt = _with_learning_rate(self._make(params), self)
        pending, self._pending_state = getattr(self, "_pending_state", None), None
        if pending is not None:  # state saved with a model file (keras.saving): moments, step counts
            self._opt.load_state_dict(pending)
        return self._opt

    def _make(self, params):
        raise NotImplementedError

    def get_config(self):
        names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
        return {n: getattr(self, n) for n in names}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


_WITH_LEARNING_RATE = {}


def _with_learning_rate(opt, keras_optimizer):
    """Give the nc.optim optimizer a Keras-style ``learning_rate`` property (``model.optimizer.learning_rate``, read
    and set by callbacks). Its class becomes a cached subclass that adds only that property, so isinstance checks,
    state_dict and stepping are unchanged; setting it validates through the Keras optimizer and updates every
    parameter group."""
    cls = type(opt)
    sub = _WITH_LEARNING_RATE.get(cls)
    if sub is None:
        def get(self):
            return float(self.param_groups[0]["lr"])

        def set_(self, value):
            self._keras_optimizer.learning_rate = value
            for group in self.param_groups:
                group["lr"] = self._keras_optimizer.learning_rate

        sub = type(cls.__name__, (cls,), {"learning_rate": property(get, set_), "__module__": cls.__module__,
                                          "__qualname__": cls.__qualname__, "__doc__": cls.__doc__})
        _WITH_LEARNING_RATE[cls] = sub
    opt.__class__ = sub
    opt._keras_optimizer = keras_optimizer
    return opt


class SGD(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None):
        super().__init__(learning_rate)
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay or 0

    def _make(self, params):
        return optim.SGD(params, lr=self.learning_rate, momentum=self.momentum, nesterov=self.nesterov,
                         weight_decay=self.weight_decay)


class Adam(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        self.weight_decay = weight_decay or 0

    def _make(self, params):
        return optim.Adam(params, lr=self.learning_rate, betas=(self.beta_1, self.beta_2), eps=self.epsilon,
                          amsgrad=self.amsgrad, weight_decay=self.weight_decay)


class AdamW(Optimizer):
    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False):
        super().__init__(learning_rate)
        self.weight_decay, self.beta_1, self.beta_2, self.epsilon, self.amsgrad = (weight_decay, beta_1, beta_2,
                                                                                   epsilon, amsgrad)

    def _make(self, params):
        return optim.AdamW(params, lr=self.learning_rate, betas=(self.beta_1, self.beta_2), eps=self.epsilon,
                           weight_decay=self.weight_decay, amsgrad=self.amsgrad)


class RMSprop(Optimizer):
    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
        super().__init__(learning_rate)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _make(self, params):
        return optim.RMSprop(params, lr=self.learning_rate, alpha=self.rho, eps=self.epsilon,
                             momentum=self.momentum, centered=self.centered)


class Adagrad(Optimizer):
    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _make(self, params):
        return optim.Adagrad(params, lr=self.learning_rate, initial_accumulator_value=self.initial_accumulator_value,
                             eps=self.epsilon)


_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(identifier):
    """A Keras optimizer from a name ("adam"), a keras Optimizer, or an nc.optim.Optimizer (used as is)."""
    if isinstance(identifier, (Optimizer, optim.Optimizer)):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Known optimizers: "
                     f"{sorted(_BY_NAME)}")
