"""RNN Gradient Lab engine: exact BPTT for a recurrent layer, with a gradient log at every step.

    a(n) = W_x x(n) + W_s s(n-1) + b,   s(n) = phi(a(n)),   y(n) = g(W_y s(n) + b_y)

numpy and the standard library only; everything here can be used from a notebook.
"""
from rnn_engine.activations import ACTIVATIONS, OUTPUTS, get_activation
from rnn_engine.backward import READOUTS, BackwardResult, GradLog, backward
from rnn_engine.forward import Trace, forward
from rnn_engine.losses import LOSSES
from rnn_engine.params import Params

__all__ = [
    "ACTIVATIONS", "OUTPUTS", "LOSSES", "READOUTS",
    "Params", "Trace", "GradLog", "BackwardResult",
    "forward", "backward", "get_activation",
]
