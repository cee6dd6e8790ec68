"""One frozen Experiment describes a whole run; its field names are the widget keys and URL keys.

Every field has a default and a domain. `from_query(params)` turns URL parameters into an
Experiment, falling back to the default (with a notice) for anything out of range or garbled.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

from rnn_engine import ACTIVATIONS, LOSSES, OUTPUTS

TASK_LABELS = {
    "adding": "Adding problem",
    "first_symbol": "First symbol",
    "sine": "Noisy sine",
    "bird": "Bird or not",
    "copy": "Copy memory",
    "temporal_order": "Temporal order",
}
HIDDEN_SIZES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
SCALES = (0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0)
RADII = (0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25, 1.5, 2.0, 3.0)  # 0 = as drawn
CLIP_THRESHOLDS = (0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
CELLS = {"elman": "RNN (Elman)", "lstm": "LSTM", "gru": "GRU"}
GATE_BIASES = (-5.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 5.0)
# Links carry v=2 since the defaults changed (N 30 -> 10, SGD at 0.1 -> Adam at 0.01, so that the default
# Training page shows a network that learns). A link without v was made before: its missing fields keep
# their old defaults, so a link pasted into last year's slides still opens the same experiment.
VERSION_KEY, VERSION = "v", "2"
LEGACY_DEFAULTS = {"N": 30, "optimizer": "sgd", "lr": 0.1}
# The seed page had its own H, γ and iterations then (keys seed_H, seed_lr, seed_iters; defaults 4, 0.01, 300);
# it uses the sidebar's now, so an old link to it gives them to the sidebar.
LEGACY_SEED = {"seed_H": ("H", 4), "seed_lr": ("lr", 0.01), "seed_iters": ("iterations", 300)}


@dataclass(frozen=True)
class Spec:
    """The domain of one field: a tuple of allowed values, or an integer range."""

    label: str
    options: tuple = ()
    lo: int | None = None
    hi: int | None = None
    help: str = ""
    labels: tuple = ()  # (value, text) pairs where the widget shows (and the URL holds) a text
    shown: tuple = ()  # (value, text) pairs the widget shows while the URL keeps the value itself (cell=lstm)

    def text(self, value) -> str:
        """What the URL holds for value (and the widget shows, unless `shown` says otherwise)."""
        return dict(self.labels).get(value, str(value))

    def display(self, value) -> str:
        """What the widget shows for value."""
        return dict(self.shown).get(value, self.text(value))

    def parse(self, raw: str, default):
        """The value a URL string stands for (its text, or the plain value), or ValueError."""
        if self.options:
            for option in self.options:
                if raw in (self.text(option), str(option)) or (isinstance(option, float) and _float_eq(raw, option)):
                    return option
            raise ValueError(f"expected one of {', '.join(map(self.text, self.options))}")
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number from {self.lo} to {self.hi}") from None
        if not self.lo <= value <= self.hi:
            raise ValueError(f"expected a whole number from {self.lo} to {self.hi}")
        return value


@dataclass(frozen=True)
class TextSpec(Spec):
    """A free-text field (the Weights page's edited arrays): "" or any JSON object.

    Shapes and values are checked where the weights are used (compute.setup), with a clear message.
    """

    def parse(self, raw: str, default):
        if raw == "":
            return ""
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):
            raise ValueError('expected JSON such as {"W_s": [[0.5, 0.1], [0.0, 0.9]]}') from None
        if not isinstance(value, dict):
            raise ValueError('expected a JSON object such as {"W_s": [[0.5, 0.1], [0.0, 0.9]]}')
        return raw


def _float_eq(raw: str, option: float) -> bool:
    try:
        return math.isclose(float(raw), option, rel_tol=1e-9)
    except ValueError:
        return False


def _f(default, spec: Spec):
    return field(default=default, metadata={"spec": spec})


@dataclass(frozen=True)
class Experiment:
    """Everything that determines what the pages show. Frozen, so it hashes for st.cache_data."""

    task: str = _f("adding", Spec("Task", tuple(TASK_LABELS), help="What the network must learn.", labels=tuple(TASK_LABELS.items())))
    N: int = _f(10, Spec("Sequence length N", lo=1, hi=1000, help="Steps the graph is unfolded over."))
    H: int = _f(16, Spec("Hidden size H", HIDDEN_SIZES, help="Size of the state s(n)."))
    cell: str = _f("elman", Spec("Cell", tuple(CELLS), shown=tuple(CELLS.items()),
                                 help="The plain (Elman) RNN, or a gated cell that keeps its gradient: the LSTM "
                                      "(gates i, f, g, o) or the GRU (gates r, z, g)."))
    gate_bias: float = _f(1.0, Spec("Gate bias (LSTM forget gate, GRU update gate)", GATE_BIASES,
                                    help="The bias of the gate that keeps the memory: the LSTM's forget gate f, the "
                                         "GRU's update gate z. +1 (Gers et al. 2000; Jozefowicz et al. 2015) starts "
                                         "them mostly open; −3 makes the LSTM forget again."))
    activation: str = _f("tanh", Spec("Activation φ", tuple(ACTIVATIONS), help="s(n) = φ(a(n))."))
    output: str = _f("auto", Spec("Read-out g", ("auto",) + OUTPUTS, help="y(n) = g(W_y s(n) + b_y); auto = the task's natural one."))
    loss: str = _f("auto", Spec("Loss", ("auto",) + LOSSES, help="sse is the seed's sum of squared errors."))
    init: str = _f("orthogonal", Spec("Initialisation of W_s", ("normal", "glorot", "orthogonal", "identity")))
    scale: float = _f(1.0, Spec("Init scale", SCALES, help="Multiplies the drawn weights."))
    radius: float = _f(0.9, Spec("Spectral radius of W_s", RADII, help="Rescale W_s so that max |eigenvalue| is this; 'as drawn' keeps the drawn W_s.", labels=((0.0, "as drawn"),)))
    seed: int = _f(0, Spec("Seed", lo=0, hi=2**31 - 1, help="Same seed, same numbers."))
    lr: float = _f(0.01, Spec("Learning rate γ", LEARNING_RATES))
    schedule: str = _f("constant", Spec("Schedule γ(t)", ("constant", "step", "exponential")))
    optimizer: str = _f("adam", Spec("Optimiser", ("sgd", "momentum", "adam"), help="sgd is the lecture's update θ(t+1) = θ(t) − γ(t) ∇L; adam (Kingma & Ba) learns the toy tasks in far fewer iterations."))
    clip: str = _f("none", Spec("Gradient clipping", ("none", "norm", "value"), help="A separate, visible step; norms are logged before it."))
    clip_at: float = _f(1.0, Spec("Clip threshold", CLIP_THRESHOLDS))
    truncate: int = _f(0, Spec("Truncate BPTT at k steps", lo=0, hi=1000, help="0 = full BPTT; k = each loss term sends gradient back at most k steps."))
    batch: int = _f(32, Spec("Batch size B", BATCH_SIZES))
    iterations: int = _f(200, Spec("Iterations", lo=1, hi=5000))
    # Not a sidebar widget: the Weights page's edits, compact JSON {"W_s": [[...]], "W_x": [[...]], "b": [...]}
    # of the arrays that differ from the initial ones; compute.setup applies and checks it.
    weights: str = _f("", TextSpec("Edited weights", help="Set on the Weights page; empty = the initial weights."))

    def replace(self, **changes) -> Experiment:
        return dataclasses.replace(self, **changes)

    def changed(self) -> dict:
        """Fields that differ from the defaults (what a link needs to carry)."""
        default = Experiment()
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if getattr(self, f.name) != getattr(default, f.name)}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


FIELDS = {f.name: f for f in dataclasses.fields(Experiment)}
DEFAULT = Experiment()


def spec(name: str) -> Spec:
    return FIELDS[name].metadata["spec"]


def is_legacy(params) -> bool:
    """A link made before the defaults changed: it sets some field (or a seed page setting) but carries no
    version key."""
    return VERSION_KEY not in params and any(name in FIELDS or name.startswith("seed_") for name in params)


def from_query(params) -> tuple[Experiment, list[str]]:
    """(Experiment, notices) from URL parameters; unknown keys are left alone. A legacy link (is_legacy)
    takes LEGACY_DEFAULTS for the fields it leaves out, and a legacy link to the seed page its old sizes."""
    values, notices = (dict(LEGACY_DEFAULTS) if is_legacy(params) else {}), []
    if values and any(k.startswith("seed_") for k in params):
        params = dict(params)
        for old, (name, default) in LEGACY_SEED.items():
            values[name] = default
            if old in params and name not in params:
                params[name] = params[old]
    for name in FIELDS:
        if name not in params:
            continue
        raw = params[name]
        if isinstance(raw, list):
            raw = raw[-1] if raw else ""
        try:
            values[name] = spec(name).parse(str(raw), getattr(DEFAULT, name))
        except ValueError as exc:
            default = values.setdefault(name, getattr(DEFAULT, name))
            notices.append(f"URL parameter {name}={raw!r} ignored ({exc}); using "
                           f"{'the initial weights' if name == 'weights' else default}.")
    return Experiment(**values), notices


def from_dict(d: dict) -> Experiment:
    """Experiment from a preset or a saved config (fields left out keep their defaults); an unknown key or a value
    out of its field's domain raises ValueError naming the field."""
    unknown = set(d) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values = {}
    for name, value in d.items():
        if isinstance(value, (dict, list)):  # edited weights written as a JSON object rather than a string
            raw = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool) or value is None:  # JSON true/false/null: never a setting's value
            raw = json.dumps(value)
        else:
            raw = str(value)
        try:
            values[name] = spec(name).parse(raw, getattr(DEFAULT, name))
        except ValueError as exc:
            raise ValueError(f"setting {name} = {json.dumps(value)[:80]}: {exc}") from None
    return Experiment(**values)


def to_query(exp: Experiment) -> str:
    """The query string that reproduces exp (defaults left out, the version key last; '' for the defaults)."""
    from urllib.parse import urlencode

    changed = {k: spec(k).text(v) for k, v in exp.changed().items()}
    return urlencode({**changed, VERSION_KEY: VERSION}) if changed else ""


# Words for the settings line (what a slide, a notice or a label says the experiment is)
OPTIMIZER_WORDS = {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}
GATE_BIAS_WORDS = {"lstm": "forget-gate bias", "gru": "update-gate bias"}


def settings_line(exp: Experiment, uses: tuple[str, ...] | None = None, trained: bool = True) -> str:
    """One line saying what the experiment is, e.g. 'Adding problem · RNN, tanh · N = 50 · H = 16 · ρ(W_s) = 0.9 ·
    seed 0 · 200 iterations, Adam γ = 0.01'.

    uses: only these fields matter (a page that uses a few of them, the seed page); trained: the figures come
    from training (else they show the initial weights θ(0), and the training settings are left out).
    """
    def used(*names: str) -> bool:
        return uses is None or any(n in uses for n in names)

    parts = []
    if used("task"):
        parts.append(TASK_LABELS[exp.task])
    if used("cell", "activation"):
        cell = "RNN" if exp.cell == "elman" else CELLS[exp.cell]
        gate = f", {GATE_BIAS_WORDS[exp.cell]} {exp.gate_bias:g}" if exp.cell in GATE_BIAS_WORDS else ""
        parts.append(f"{cell}, {exp.activation}{gate}")
    parts += [f"{n} = {getattr(exp, n)}" for n in ("N", "H") if used(n)]
    if used("init", "scale", "radius"):
        if exp.weights:
            parts.append("edited weights")
        elif exp.radius:
            parts.append(f"ρ(W_s) = {exp.radius:g}")
        else:
            parts.append(f"{exp.init} W_s × {exp.scale:g}")
    if used("seed"):
        parts.append(f"seed {exp.seed}")
    if trained and used("iterations"):
        how = " ".join(w for w, u in ((OPTIMIZER_WORDS[exp.optimizer], used("optimizer")), (f"γ = {exp.lr:g}", used("lr")))
                       if u)
        parts.append(f"{exp.iterations} iterations" + (f", {how}" if how else ""))
        if used("clip") and exp.clip != "none":
            parts.append(f"clipped by {exp.clip} at {exp.clip_at:g}")
        if used("truncate") and exp.truncate:
            parts.append(f"BPTT truncated at {exp.truncate}")
    return " · ".join(parts)
