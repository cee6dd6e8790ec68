"""A lecture script: a rehearsed sequence of steps, each one experiment on one chart with what to notice.

A script is a small YAML (or JSON) file in assets/lectures/ (the shipped ones) or the lecturer's own,
uploaded on the Lecture page or given on the command line (`streamlit run dashboard/app.py -- --lecture
my.yaml`). Schema (every key of a step but `title` and `page` optional):

    title: Vanishing gradients in twelve steps     # the script's name
    steps:
      - title: The unfolded graph                  # short: shown in large type
        page: graph                                # an app page's url path (PAGES below)
        preset: vanishing_tanh                     # start from a preset of assets/presets/ (else the defaults)
        experiment: {N: 10, activation: tanh}      # Experiment fields (dashboard/config.py) changed on top
        chart: unfolded-graph                      # which chart (default: the page's main one; lecture_charts)
        versus: {activation: sigmoid}              # compare charts only: B = this step's experiment with these changes
        train: 500                                 # action: train this many iterations (sets `iterations`)
        notice: The arrows fade going left.        # what to notice: one or two sentences; {name} = a claim's number
        claims:                                    # the numbers `notice` states, as in a preset (tests check them)
          reach: {says: "about 10⁻⁴", from: 3e-5, to: 3e-4}

Every value is checked on load with the settings' own validation (config.Spec.parse); a problem is reported
as "step 3 (“Sigmoid against tanh”), field activation: ..." and the whole list of problems is given at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dashboard import presets
from dashboard.config import DEFAULT, FIELDS, OPTIMIZER_WORDS, Experiment, spec

LECTURE_DIR = Path(__file__).resolve().parent.parent / "assets" / "lectures"
PAGES = ("graph", "gradients", "training", "theory", "credit", "compare", "seed")  # app.py's url paths with a chart
STEP_KEYS = ("title", "page", "preset", "experiment", "chart", "versus", "train", "notice", "claims")
MAX_BYTES = 1_000_000  # an uploaded script is text: a megabyte is far more than any lecture


class LectureError(ValueError):
    """A script that cannot be shown: `problems` lists every one, each naming the step and the field."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class Step:
    title: str
    page: str
    experiment: Experiment
    chart: str
    notice: str  # with the claims' numbers filled in
    versus: Experiment | None = None  # B of a compare chart
    claims: tuple[presets.Claim, ...] = ()
    preset: str = ""


@dataclass(frozen=True)
class Lecture:
    name: str  # the URL's script=...: the file's stem
    title: str
    steps: tuple[Step, ...]
    text: str  # the file as written (downloaded back as it came, comments included)


def _where(i: int, raw) -> str:
    title = raw.get("title") if isinstance(raw, dict) else None
    return f"step {i}" + (f" (“{title}”)" if isinstance(title, str) and title.strip() else "")


def _fields(d, where: str, key: str, base: Experiment, problems: list[str]) -> Experiment:
    """base with the fields of mapping d (key names it in messages); each value through its Spec."""
    if d is None:
        return base
    if not isinstance(d, dict):
        problems.append(f"{where}, field {key}: expected a mapping of settings such as {{N: 50}}, got {d!r}")
        return base
    values = {}
    for name, value in d.items():
        if name not in FIELDS:
            problems.append(f"{where}, field {key}.{name}: unknown setting; choose from {', '.join(FIELDS)}")
            continue
        try:
            values[name] = spec(name).parse(str(value), getattr(DEFAULT, name))
        except ValueError as exc:
            problems.append(f"{where}, field {key}.{name}: {value!r} is not allowed ({exc})")
    return base.replace(**values)


def _step(i: int, raw, problems: list[str]) -> Step | None:
    from dashboard import lecture_charts

    where = _where(i, raw)
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping with title, page, ..., got {raw!r}")
        return None
    before = len(problems)
    for key in raw:
        if key not in STEP_KEYS:
            problems.append(f"{where}, field {key}: unknown field; a step has {', '.join(STEP_KEYS)}")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(f"{where}, field title: missing; every step needs a short title")
    page = raw.get("page")
    if page not in PAGES:
        problems.append(f"{where}, field page: " + ("missing" if page is None else f"unknown page {page!r}")
                        + f"; choose one of {', '.join(PAGES)}")
    base, name = DEFAULT, raw.get("preset") or ""
    if name:
        try:
            base = presets.get(str(name)).experiment
        except ValueError as exc:
            problems.append(f"{where}, field preset: {exc}")
    exp = _fields(raw.get("experiment"), where, "experiment", base, problems)
    if "train" in raw:
        try:
            exp = exp.replace(iterations=spec("iterations").parse(str(raw["train"]), None))
        except ValueError as exc:
            problems.append(f"{where}, field train: {raw['train']!r} iterations is not allowed ({exc})")
    chart = raw.get("chart") or lecture_charts.MAIN.get(page, "")
    drawn = lecture_charts.CHARTS.get(chart) if isinstance(chart, str) else None
    if drawn is None and (page in PAGES or raw.get("chart")):
        problems.append(f"{where}, field chart: unknown chart {chart!r}; choose one of {', '.join(lecture_charts.CHARTS)}")
    elif page in PAGES and drawn.page != page:
        problems.append(f"{where}, field chart: {chart!r} is drawn on the {drawn.page} page, not on {page}")
    versus = None
    if drawn is not None and drawn.versus and raw.get("versus") is None:
        problems.append(f"{where}, field versus: chart {chart!r} compares two experiments; say what B changes, "
                        "e.g. versus: {activation: sigmoid}")
    elif raw.get("versus") is not None:
        if drawn is not None and not drawn.versus:
            problems.append(f"{where}, field versus: chart {chart!r} draws one experiment; versus is for "
                            f"{', '.join(n for n, c in lecture_charts.CHARTS.items() if c.versus)}")
        versus = _fields(raw.get("versus"), where, "versus", exp, problems)
    notice = raw.get("notice", "")
    if not isinstance(notice, str):
        problems.append(f"{where}, field notice: expected one or two sentences of text")
        notice = ""
    claims = ()
    try:
        claims = presets.parse_claims(raw.get("claims") or {})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        problems.append(f"{where}, field claims: each claim needs says, from and to ({exc!r})")
    try:
        notice = notice.format(**{c.name: c.says for c in claims})
    except (KeyError, IndexError, ValueError) as exc:
        problems.append(f"{where}, field notice: {{{exc.args[0] if exc.args else ''}}} has no claim of that name")
    if len(problems) > before:
        return None
    return Step(title.strip(), page, exp, chart, notice.strip(), versus, claims, str(name))


def parse(text: str, name: str) -> Lecture:
    """The Lecture a script's text describes, or LectureError listing every problem (name: the file's stem)."""
    import yaml  # JSON is YAML too

    source = f"lecture {name!r}"
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise LectureError(source, [f"not readable as YAML or JSON{at}: {getattr(exc, 'problem', None) or exc}"]) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("steps"), list) or not raw["steps"]:
        raise LectureError(source, ["expected a mapping with a title and a list of steps (title: ..., steps: - ...)"])
    problems = [f"field {k}: unknown field; a script has title and steps" for k in raw if k not in ("title", "steps")]
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("field title: missing; the script needs a title")
    steps = [_step(i, s, problems) for i, s in enumerate(raw["steps"], start=1)]
    if problems:
        raise LectureError(source, problems)
    return Lecture(name, title.strip(), tuple(steps), text)


def read(path: str | Path) -> Lecture:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LectureError(f"lecture file {str(path)!r}", [f"cannot be read ({exc.strerror or exc})"]) from None
    return from_bytes(data, path.name)


def from_bytes(data: bytes, filename: str) -> Lecture:
    """An uploaded (or read) script; its name is the file's stem."""
    name = Path(filename).stem or "lecture"
    if len(data) > MAX_BYTES:
        raise LectureError(f"lecture {name!r}", [f"{len(data) / 1e6:.1f} MB is too large for a script (limit 1 MB)"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LectureError(f"lecture {name!r}", [f"not UTF-8 text (byte {exc.start})"]) from None
    return parse(text, name)


@cache
def shipped() -> dict[str, Lecture]:
    """The lectures in assets/lectures/, by name (the URL's script=...)."""
    return {p.stem: read(p) for p in sorted(LECTURE_DIR.glob("*.yaml"))}


def command_line_script(argv: list[str]) -> str | None:
    """The path after `--lecture` (or `--lecture=path`) in argv, else None. `streamlit run dashboard/app.py --
    --lecture my.yaml` gives the script ["dashboard/app.py", "--lecture", "my.yaml"]; under pytest or AppTest argv
    is pytest's own, which never holds --lecture."""
    for i, arg in enumerate(argv[1:], start=1):
        if arg == "--lecture" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lecture="):
            return arg.split("=", 1)[1]
    return None


def label(exp: Experiment, rho: float | None = None) -> str:
    """The settings in one line for the back row: 'N = 50 · tanh · ρ(W_s) = 0.9' (Elman), 'LSTM · N = 30 · forget bias +1'
    (gated), with what else the step changes (clipping, truncation, iterations). rho: the measured ρ(W_s)
    when the radius is 'as drawn'."""
    parts = [] if exp.task == "adding" else [spec("task").display(exp.task)]
    if exp.task == "bird":  # the seed page's classifier: its own weights, tanh, fed in N chunks
        parts += [f"N = {exp.N}", f"H = {exp.H}"]
    elif exp.cell == "elman":
        parts += [f"N = {exp.N}", exp.activation]
        if exp.radius:
            parts.append(f"ρ(W_s) = {exp.radius:g}")
        elif rho is not None:
            parts.append(f"ρ(W_s) = {rho:.2f} ({exp.init})")
    else:
        gate = "forget" if exp.cell == "lstm" else "update"
        parts += [exp.cell.upper(), f"N = {exp.N}", f"{gate} bias {exp.gate_bias:+g}"]
    if exp.H != DEFAULT.H and exp.task != "bird":
        parts.append(f"H = {exp.H}")
    if exp.clip != "none":
        parts.append(f"clip {exp.clip} at {exp.clip_at:g}")
    if exp.truncate:
        parts.append(f"truncated at k = {exp.truncate}")
    if exp.weights:
        parts.append("edited weights")
    return " · ".join(parts)


def training_label(exp: Experiment) -> str:
    """'Adam γ = 0.01 · 2000 iterations': added to the label on a step that trains."""
    return f"{OPTIMIZER_WORDS[exp.optimizer]} γ = {exp.lr:g} · {exp.iterations} iterations"


def differing(a: Experiment, b: Experiment) -> list[str]:
    """The fields in which a and b differ (the step's settings and what the sidebar now holds, say)."""
    return [n for n in FIELDS if getattr(a, n) != getattr(b, n)]
