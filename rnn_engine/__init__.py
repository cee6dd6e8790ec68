"""RNN Gradient Lab engine: exact BPTT for a recurrent layer, with a gradient log at every step.

    a(n) = W_x x(n) + W_s s(n-1) + b,   s(n) = phi(a(n)),   y(n) = g(W_y s(n) + b_y)

and the gated cells beside it (LSTMParams, GRUParams: rnn_engine/cells/), behind the same forward/backward.

numpy and the standard library only; everything here can be used from a notebook.
"""
from rnn_engine.activations import ACTIVATIONS, OUTPUTS, get_activation
from rnn_engine.backward import READOUTS, BackwardResult, GradLog, backward
from rnn_engine.credit import connectivity, itemized_grads, memory_horizon, memory_horizons
from rnn_engine.features import (
    BUNDLED_FEATURES,
    FeatureSet,
    load_bundled,
    load_digits_pair,
    load_features,
    write_features_csv,
)
from rnn_engine.forward import Trace, forward
from rnn_engine.gradcheck import gradcheck
from rnn_engine.init import CELL_NAMES, INIT_SCHEMES, init_params
from rnn_engine.losses import LOSSES
from rnn_engine.optim import (
    OPTIMIZERS,
    SCHEDULES,
    OptState,
    clip_by_global_norm,
    clip_by_value,
    init_opt_state,
    learning_rate,
)
from rnn_engine.params import GRUParams, LSTMParams, Params
from rnn_engine.tasks import TASKS, Task, constant_baseline, make_task, split_task
from rnn_engine.theory import bound_curve, eigenvalues, singular_values, spectral_radius, vanishing_condition
from rnn_engine.train import CLIPS, Dataset, History, TrainConfig, TrainResult, loss_value, train

__all__ = [
    # the contract
    "Params", "LSTMParams", "GRUParams", "CELL_NAMES", "forward", "backward", "Trace", "BackwardResult", "GradLog",
    "ACTIVATIONS", "OUTPUTS", "LOSSES", "READOUTS", "get_activation", "gradcheck",
    # initialisation and theory
    "INIT_SCHEMES", "init_params",
    "spectral_radius", "singular_values", "eigenvalues", "bound_curve", "vanishing_condition",
    # training
    "OPTIMIZERS", "SCHEDULES", "OptState", "init_opt_state", "learning_rate",
    "clip_by_global_norm", "clip_by_value",
    "CLIPS", "TrainConfig", "Dataset", "History", "TrainResult", "train", "loss_value",
    # tasks and feature files
    "TASKS", "Task", "make_task", "split_task", "constant_baseline",
    # credit assignment
    "connectivity", "itemized_grads", "memory_horizon", "memory_horizons",
    "FeatureSet", "BUNDLED_FEATURES", "load_features", "load_bundled", "load_digits_pair", "write_features_csv",
]
