"""Feature sets for the one-step classifier of the seed example: load, check, write.

A feature set is a matrix of M feature vectors with a 0/1 label each,

    X: (M, F) float64,   labels: (M,) float64 in {0, 1},

read from a CSV file (one header row, a column named `label`, every other column a
numeric feature) or an NPZ file (arrays `X` (M, F) and `y` (M,), saved with
np.savez(path, X=X, y=y); never loaded with pickle). Every malformed file raises a
ValueError that names the row, column or array and says what was expected.
numpy and the standard library only (load_digits_pair imports scikit-learn inside).
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

MAX_BYTES = 20_000_000  # default upload limit
BUNDLED_FEATURES = Path(__file__).resolve().parent.parent / "assets" / "features" / "bird_features.csv"
BIRD_CLASSES = ("not bird", "bird")
LABEL_COLUMN = "label"
FORMATS = (".csv", ".npz")


@dataclass(frozen=True, eq=False)
class FeatureSet:
    """M feature vectors x_i with labels t_i in {0, 1}."""

    X: np.ndarray  # (M, F)
    labels: np.ndarray  # (M,) 0.0 or 1.0
    feature_names: tuple  # (F,) str
    source: str  # where it came from, for captions
    class_names: tuple = ("label 0", "label 1")  # names of t = 0 and t = 1

    def __post_init__(self):
        X = np.array(self.X, dtype=np.float64)
        labels = np.array(self.labels, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must have shape (M, F) = (samples, features); got shape {X.shape}.")
        if labels.shape != (X.shape[0],):
            raise ValueError(f"labels must have shape (M,) = ({X.shape[0]},), one per row of X; got {labels.shape}.")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or inf; every feature value must be a finite number.")
        if not np.isin(labels, (0.0, 1.0)).all():
            raise ValueError("labels must be 0 or 1.")
        names = tuple(str(n) for n in self.feature_names)
        if len(names) != X.shape[1]:
            raise ValueError(f"feature_names must name all {X.shape[1]} features; got {len(names)} names.")
        X.flags.writeable = False
        labels.flags.writeable = False
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "feature_names", names)
        object.__setattr__(self, "class_names", tuple(str(c) for c in self.class_names))

    @property
    def M(self) -> int:
        """Number of samples."""
        return self.X.shape[0]

    @property
    def F(self) -> int:
        """Number of features."""
        return self.X.shape[1]

    @property
    def n_positive(self) -> int:
        """Number of samples with label 1."""
        return int(self.labels.sum())

    @property
    def digest(self) -> str:
        """Short content hash of X and labels (a cache key)."""
        h = hashlib.sha1(np.ascontiguousarray(self.X).tobytes())
        h.update(np.ascontiguousarray(self.labels).tobytes())
        return h.hexdigest()[:16]

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, FeatureSet)
            and np.array_equal(self.X, other.X)
            and np.array_equal(self.labels, other.labels)
            and self.feature_names == other.feature_names
        )

    __hash__ = None


# ---------------------------------------------------------------------------
# loading


def load_features(source, filename: str | None = None, max_bytes: int = MAX_BYTES) -> FeatureSet:
    """Read a feature set from a path or from uploaded bytes.

    The format follows the extension of `filename` (or of the path): .csv or .npz.
    An object with .getvalue() and .name (an uploaded file) is accepted as well.
    """
    data, name = _read_source(source, filename, max_bytes)
    ext = Path(name).suffix.lower()
    if ext not in FORMATS:
        shown = ext or "no extension"
        raise ValueError(
            f"file {name!r} has {shown}; feature files must end in .csv or .npz."
        )
    label = Path(name).name
    if ext == ".csv":
        X, labels, names = _parse_csv(data)
    else:
        X, labels, names = _parse_npz(data, max_bytes)
    return _checked_set(X, labels, names, label)


def load_bundled() -> FeatureSet:
    """The bundled synthetic bird / not-bird set (400 x 32), see assets/features/README.md."""
    if not BUNDLED_FEATURES.is_file():
        raise ValueError(f"the bundled feature file is missing: {BUNDLED_FEATURES} (run assets/features/make_bird_features.py).")
    fs = load_features(BUNDLED_FEATURES)
    return replace(fs, source="bundled synthetic bird features (bird_features.csv)", class_names=BIRD_CLASSES)


def load_digits_pair(a: int = 3, b: int = 8) -> FeatureSet:
    """Two classes of scikit-learn's 8x8 digits: digit a -> label 0, digit b -> label 1.

    Features are the 64 pixels / 16, in [0, 1]. The digits ship with scikit-learn (no
    download). scikit-learn is not an engine dependency: it is imported here only, the
    one exception to numpy-only.
    """
    for field, v in (("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v <= 9:
            raise ValueError(f"{field} must be a digit 0..9; got {v!r}.")
    if a == b:
        raise ValueError(f"a and b must be two different digits; got a = b = {a}.")
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ValueError("the digits data set needs scikit-learn: pip install scikit-learn") from None
    digits = load_digits()
    keep = (digits.target == a) | (digits.target == b)
    X = digits.data[keep] / 16.0  # (M, 64)
    labels = (digits.target[keep] == b).astype(np.float64)  # (M,)
    names = tuple(f"px_{r}_{c}" for r in range(8) for c in range(8))
    return FeatureSet(X, labels, names, f"scikit-learn digits {a} vs {b}", class_names=(str(a), str(b)))


def _read_source(source, filename, max_bytes) -> tuple[bytes, str]:
    """(bytes, name) with the size limit checked before anything is parsed."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive whole number of bytes; got {max_bytes!r}.")
    limit = f"{max_bytes / 1e6:g} MB"
    if hasattr(source, "getvalue") and not isinstance(source, (bytes, bytearray, memoryview)):
        filename = filename or getattr(source, "name", None)
        source = source.getvalue()
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not filename:
            raise ValueError("filename is needed with uploaded bytes: its extension (.csv or .npz) decides the format.")
        data = bytes(source)
        if len(data) > max_bytes:
            raise ValueError(f"file {filename!r} is {len(data) / 1e6:.3g} MB; the limit is {limit}.")
        return data, str(filename)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"no feature file at {str(path)!r}.")
        size = path.stat().st_size
        if size > max_bytes:
            raise ValueError(f"file {path.name!r} is {size / 1e6:.3g} MB; the limit is {limit}.")
        return path.read_bytes(), str(filename or path)
    raise ValueError(f"source must be a file path or the bytes of an upload; got {type(source).__name__}.")


def _parse_csv(data: bytes) -> tuple[np.ndarray, np.ndarray, tuple]:
    """CSV text -> (X, labels, names); rows are counted as lines of the file, header = line 1."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"the CSV file is not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8 CSV."
        ) from None
    if not text.strip():
        raise ValueError("the CSV file is empty; expected a header row and one row per sample.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []  # (line, cells) of every row that is not blank
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        if "end of data" in str(exc):
            after = rows[-1][0] if rows else 0
            raise ValueError(f'the CSV file ends inside a quoted field: a quote (") on line {after + 1} or later '
                             f"is never closed.") from None
        raise ValueError(f"the CSV file cannot be read near line {reader.line_num}: {exc}.") from None
    if not rows:
        raise ValueError("the CSV file is empty (only blank lines); expected a header row and one row per sample.")
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        raise ValueError(
            "the CSV header has a single column; fields must be separated by commas (this file looks "
            "semicolon- or tab-separated)."
        )
    for j, h in enumerate(header):
        if not h:
            raise ValueError(f"column {j + 1} of the header (line {header_line}) has no name.")
    seen = set()
    for h in header:
        if h in seen:
            raise ValueError(f"column name {h!r} appears twice in the header; every column needs its own name.")
        seen.add(h)
    label_cols = [j for j, h in enumerate(header) if h.lower() == LABEL_COLUMN]
    if not label_cols:
        raise ValueError(
            f"the CSV header has no column named {LABEL_COLUMN!r}; expected one column '{LABEL_COLUMN}' "
            f"with 0/1 values (header is: {', '.join(header[:8])}{', ...' if len(header) > 8 else ''})."
        )
    if len(label_cols) > 1:
        raise ValueError(f"the CSV header has {len(label_cols)} columns named {LABEL_COLUMN!r}; expected exactly one.")
    lab = label_cols[0]
    feat_cols = [j for j in range(len(header)) if j != lab]
    if not feat_cols:
        raise ValueError("the CSV file has only the 'label' column; expected at least one numeric feature column.")
    body = rows[1:]
    if not body:
        raise ValueError("the CSV file has a header but no data rows; expected one row per sample.")
    width = len(header)
    values = np.empty((len(body), width))  # (M, F + 1)
    for i, (line, row) in enumerate(body):
        where = f"line {line} (data row {i + 1})"
        if len(row) != width:
            raise ValueError(f"{where} has {len(row)} fields, expected {width} (as many as the header).")
        for j, cell in enumerate(row):
            values[i, j] = _number(cell, where, header[j])
    labels = values[:, lab]  # (M,)
    for i, t in enumerate(labels):
        if t not in (0.0, 1.0):
            raise ValueError(
                f"line {body[i][0]} (data row {i + 1}), column {LABEL_COLUMN!r} is {body[i][1][lab].strip()!r}; "
                f"labels must be 0 or 1."
            )
    return values[:, feat_cols], labels, tuple(header[j] for j in feat_cols)


def _number(cell: str, where: str, column: str) -> float:
    text = cell.strip()
    if not text:
        raise ValueError(f"{where}, column {column!r} is empty; expected a number.")
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"{where}, column {column!r} holds the text {text!r}; expected a number.") from None
    if not math.isfinite(v):
        raise ValueError(f"{where}, column {column!r} is {text!r}; every value must be a finite number (no NaN or inf).")
    return v


def _parse_npz(data: bytes, max_bytes: int) -> tuple[np.ndarray, np.ndarray, tuple]:
    """NPZ bytes -> (X, labels, names), with allow_pickle=False throughout."""
    if data[:6] == b"\x93NUMPY":
        raise ValueError("this is a single-array .npy file, not an .npz; save both arrays with np.savez(path, X=X, y=y).")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValueError("the .npz file is not a zip archive; save it with np.savez(path, X=X, y=y).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            sizes = {Path(i.filename).stem: i.file_size for i in zf.infolist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"the .npz file is a damaged zip archive ({exc}).") from None
    missing = [k for k in ("X", "y") if k not in sizes]
    if missing:
        have = ", ".join(sorted(sizes)) or "none"
        raise ValueError(
            f"the .npz file has no array {' or '.join(repr(k) for k in missing)}; expected arrays 'X' (M, F) "
            f"and 'y' (M,) saved with np.savez(path, X=X, y=y) (arrays found: {have})."
        )
    unpacked = sizes["X"] + sizes["y"]
    if unpacked > 5 * max_bytes:
        raise ValueError(f"the arrays in the .npz file unpack to {unpacked / 1e6:.0f} MB; the limit is {5 * max_bytes / 1e6:g} MB.")
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # np.load raises many types on damaged archives
        raise ValueError(f"the .npz file cannot be read ({exc}).") from None
    with npz:
        X = _npz_array(npz, "X")
        y = _npz_array(npz, "y")
        names = None
        if "feature_names" in npz.files:
            names = _npz_array(npz, "feature_names", numeric=False)
    if X.ndim != 2:
        raise ValueError(f"array 'X' must be 2-D with shape (M, F) = (samples, features); got {X.ndim}-D shape {X.shape}.")
    if y.ndim != 1:
        raise ValueError(f"array 'y' must be 1-D with shape (M,), one 0/1 label per sample; got {y.ndim}-D shape {y.shape} (use y.ravel()).")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"'X' has {X.shape[0]} rows but 'y' has {y.shape[0]} labels; expected one label per row of X.")
    if X.shape[1] < 1:
        raise ValueError("array 'X' has no feature columns; expected shape (M, F) with F >= 1.")
    X = X.astype(np.float64)
    y = y.astype(np.float64)
    if not np.isfinite(X).all():
        r, c = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"array 'X' holds {X[r, c]} at row {r}, column {c}; every value must be a finite number (no NaN or inf).")
    bad = np.flatnonzero((y != 0.0) & (y != 1.0))
    if bad.size:
        raise ValueError(f"array 'y' holds {y[bad[0]]} at index {bad[0]}; labels must be 0 or 1.")
    if names is None or names.shape != (X.shape[1],):
        names = tuple(f"f{j}" for j in range(X.shape[1]))
    else:
        names = tuple(str(n) for n in names)
    return X, y, names


def _npz_array(npz, key: str, numeric: bool = True) -> np.ndarray:
    try:
        arr = npz[key]
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise ValueError(
                f"array {key!r} in the .npz file holds Python objects, which are not loaded (that would need "
                f"pickle); save plain numbers, e.g. np.savez(path, X=X.astype(float), y=y.astype(float))."
            ) from None
        raise ValueError(f"array {key!r} in the .npz file cannot be read ({exc}).") from None
    except Exception as exc:
        raise ValueError(f"array {key!r} in the .npz file cannot be read ({exc}).") from None
    if not isinstance(arr, np.ndarray):  # a member that is not in .npy format comes back as bytes
        raise ValueError(f"array {key!r} in the .npz file is not a numpy array; save it with np.savez(path, X=X, y=y).")
    if arr.dtype.hasobject:  # defensive: allow_pickle=False already refuses these
        raise ValueError(f"array {key!r} in the .npz file holds Python objects; save plain numbers.")
    if numeric and arr.dtype.kind not in "biuf":
        raise ValueError(f"array {key!r} in the .npz file has dtype {arr.dtype}; expected real numbers (float or int).")
    return arr


def _checked_set(X: np.ndarray, labels: np.ndarray, names: tuple, source: str) -> FeatureSet:
    """The checks every format shares: enough samples, both classes."""
    M = X.shape[0]
    if M < 2:
        raise ValueError(f"the file holds {M} sample{'' if M == 1 else 's'}; expected at least 2 samples (rows).")
    n1 = int(labels.sum())
    if n1 == 0 or n1 == M:
        only = int(labels[0])
        raise ValueError(
            f"only one class is present: all {M} labels are {only}; a classifier needs samples of both "
            f"classes (label 0 and label 1)."
        )
    return FeatureSet(X, labels, names, source)


# ---------------------------------------------------------------------------
# writing


def write_features_csv(path, X, labels, feature_names=None, decimals: int | None = None) -> Path:
    """Write X (M, F) and labels (M,) as CSV: header f0..f{F-1} (or feature_names), then 'label'.

    decimals=None writes each float exactly (shortest repr, so load_features gives it back
    bit for bit); decimals=k rounds to k places and writes exact zeros as 0.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (M, F); got {X.shape}.")
    if labels.shape != (X.shape[0],):
        raise ValueError(f"labels must have shape (M,) = ({X.shape[0]},); got {labels.shape}.")
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or inf; every value must be a finite number.")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1.")
    names = [f"f{j}" for j in range(X.shape[1])] if feature_names is None else [str(n) for n in feature_names]
    if len(names) != X.shape[1] or len(set(names)) != len(names):
        raise ValueError(f"feature_names must be {X.shape[1]} different names, one per column of X.")
    if any(n.strip().lower() == LABEL_COLUMN for n in names):
        raise ValueError(f"a feature may not be called {LABEL_COLUMN!r}; that column holds the labels.")

    def fmt(v: float) -> str:
        if decimals is None:
            return repr(float(v))
        s = f"{v:.{decimals}f}".rstrip("0").rstrip(".")
        return "0" if s in ("", "-0") else s

    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*names, LABEL_COLUMN])
        for row, t in zip(X, labels, strict=True):
            w.writerow([*(fmt(v) for v in row), str(int(t))])
    return path
