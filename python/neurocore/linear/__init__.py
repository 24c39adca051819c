"""Single-layer (one neuron per output) models with scikit-learn's interface: fit / predict / score, ``coef_``,
``intercept_``, ``n_iter_``, ``classes_``. Each one is a linear unit w . x + b; what sets them apart is the
activation on its output and the loss it is trained on:

==================  ======================  =============================  ================================
model               activation              loss                           training
==================  ======================  =============================  ================================
Perceptron          step (sign of w.x + b)  perceptron/hinge-step          Rosenblatt's rule, per sample
                                            max(0, -y f(x))                (w += eta0 y x on a mistake)
LogisticRegression  sigmoid                 log-loss (binary CE)           gradient descent (nc.nn/optim)
SoftmaxRegression   softmax                 categorical cross-entropy      gradient descent (nc.nn/optim)
LinearRegression    identity (linear)       mean squared error             gradient descent (nc.nn/optim)
==================  ======================  =============================  ================================

The gradient-descent models share these parameters: ``learning_rate`` (0.1), ``max_iter`` epochs (1000),
``batch_size`` (None: all samples in one batch, i.e. full-batch gradient descent; an int: mini-batches),
``tol`` (1e-4; None: run exactly max_iter epochs), ``l2`` (0: an L2 penalty l2/2 ||W||^2 on the weights),
``shuffle`` (reshuffle the mini-batches each epoch), ``random_state`` (seed of that shuffle),
``fit_intercept`` and ``n_iter_no_change`` (5). Weights start at zero. Inputs are numpy arrays, nc tensors or
lists; float32 input trains in float32, anything else in float64. The results come back as numpy arrays.

>>> import neurocore as nc
>>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
>>> nc.linear.Perceptron().fit(X, [0, 1, 1, 1]).score(X, [0, 1, 1, 1])        # OR is linearly separable
1.0
>>> nc.linear.Perceptron(tol=None, max_iter=50).fit(X, [0, 1, 1, 0]).score(X, [0, 1, 1, 0]) < 1.0   # XOR is not
True
"""
from ._base import ConvergenceWarning, NotFittedError
from .logistic import LogisticRegression, SoftmaxRegression
from .perceptron import Perceptron
from .regression import LinearRegression

__all__ = ["Perceptron", "LogisticRegression", "SoftmaxRegression", "LinearRegression", "ConvergenceWarning",
           "NotFittedError"]
