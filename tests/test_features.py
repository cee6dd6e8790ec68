"""Feature-file loader: every malformed file gives a ValueError that names what is wrong."""
from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from rnn_engine import BUNDLED_FEATURES, FeatureSet, load_bundled, load_digits_pair, load_features
from rnn_engine.features import write_features_csv

GOOD_CSV = "a,label,b\n0.5,1,2\n1.5,0,-3\n2.5,1,4e-1\n"


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# --- good files -------------------------------------------------------------


def test_csv_label_in_any_position():
    fs = load_features(csv_bytes(GOOD_CSV), filename="up.csv")
    assert isinstance(fs, FeatureSet)
    assert fs.feature_names == ("a", "b")
    np.testing.assert_array_equal(fs.X, [[0.5, 2.0], [1.5, -3.0], [2.5, 0.4]])
    np.testing.assert_array_equal(fs.labels, [1.0, 0.0, 1.0])
    assert fs.X.dtype == np.float64 and fs.labels.dtype == np.float64
    assert fs.source == "up.csv"


def test_csv_from_path_with_bom_and_blank_lines(tmp_path):
    p = tmp_path / "f.CSV"
    p.write_bytes(b"\xef\xbb\xbf" + csv_bytes("x, label\n1, 0\n\n2 ,1\n"))
    fs = load_features(p)
    assert fs.X.shape == (2, 1) and fs.labels.tolist() == [0.0, 1.0]


def test_round_trip_write_load(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 5)) * 10.0 ** rng.integers(-8, 8, (30, 5))
    labels = (rng.random(30) < 0.4).astype(float)
    labels[:2] = (0, 1)
    path = write_features_csv(tmp_path / "rt.csv", X, labels, feature_names=[f"u{j}" for j in range(5)])
    fs = load_features(path)
    np.testing.assert_array_equal(fs.X, X)  # bit for bit
    np.testing.assert_array_equal(fs.labels, labels)
    assert fs.feature_names == tuple(f"u{j}" for j in range(5))


def test_npz_good(tmp_path):
    X = np.arange(12.0).reshape(4, 3)
    y = np.array([0, 1, 1, 0])
    fs = load_features(npz_bytes(X=X, y=y), filename="feats.npz")
    np.testing.assert_array_equal(fs.X, X)
    assert fs.labels.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert fs.feature_names == ("f0", "f1", "f2")
    p = tmp_path / "f.npz"
    np.savez_compressed(p, X=X.astype(np.float32), y=y.astype(bool), feature_names=np.array(["r", "g", "b"]))
    fs = load_features(p)
    assert fs.feature_names == ("r", "g", "b") and fs.M == 4 and fs.F == 3


def test_uploaded_file_object():
    class Upload(io.BytesIO):
        name = "upload.csv"

    fs = load_features(Upload(csv_bytes(GOOD_CSV)))
    assert fs.M == 3


# --- malformed CSV ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, words",
    [
        ("", ["empty"]),
        ("\n  \n", ["empty"]),
        ("a,b,label\n", ["header", "no data rows"]),
        ("a,b,c\n1,2,3\n4,5,6\n", ["label", "no column"]),
        ("a,label\n1,0\nzwei,1\n", ["line 3", "'a'", "'zwei'", "number"]),
        ("a,label\n1,0\n,1\n", ["line 3", "'a'", "empty"]),
        ("a,b,label\n1,2,0\n1,2\n", ["line 3 (data row 2)", "2 fields", "expected 3"]),
        ("a,b,label\n1,2,0\n1,2,1,4\n", ["line 3", "4 fields", "expected 3"]),
        ("a,label\n1,0\n2,2\n", ["label", "line 3", "'2'", "0 or 1"]),
        ("a,label\n1,0\n2,yes\n", ["line 3", "'label'", "'yes'"]),
        ("a,label\n1,0\nnan,1\n", ["line 3", "'a'", "nan", "NaN"]),
        ("a,label\n1,0\n-inf,1\n", ["line 3", "'a'", "inf"]),
        ("a,label\n1,1\n", ["1 sample", "at least 2"]),
        ("a,label\n1,1\n2,1\n3,1\n", ["one class", "both classes", "label"]),
        ("a;b;label\n1;2;0\n", ["comma"]),
        ("a,a,label\n1,2,0\n3,4,1\n", ["'a'", "twice"]),
        ("a,,label\n1,2,0\n3,4,1\n", ["column 2", "no name"]),
        ("label\n0\n1\n", ["only the 'label' column", "feature"]),
        ("a,label,LABEL\n1,0,0\n2,1,1\n", ["2 columns named 'label'"]),
        ('a,label\n1,0\n"2,1\n3,0\n', ["quote", "line 3", "never closed"]),  # not "1 fields"
        ('a,label\n"1"x,0\n2,1\n', ["line 2", "expected after"]),
    ],
)
def test_malformed_csv(text, words):
    with pytest.raises(ValueError) as err:
        load_features(csv_bytes(text), filename="bad.csv")
    msg = str(err.value)
    for w in words:
        assert w.lower() in msg.lower(), (w, msg)


def test_csv_not_utf8():
    with pytest.raises(ValueError, match="UTF-8"):
        load_features(b"a,label\n\xff\xfe,1\n", filename="bad.csv")


def test_malformed_csv_from_path(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("a,label\n1,0\n2,1\n3,x\n")
    with pytest.raises(ValueError, match=r"line 4 \(data row 3\), column 'label'.*'x'"):
        load_features(p)


# --- malformed NPZ ------------------------------------------------------------


@pytest.mark.parametrize(
    "arrays, words",
    [
        (dict(X=np.ones((4, 2))), ["'y'", "np.savez"]),
        (dict(y=np.array([0, 1])), ["'X'"]),
        (dict(arr_0=np.ones((2, 2)), arr_1=np.array([0, 1])), ["'X'", "'y'", "arr_0"]),
        (dict(X=np.ones(4), y=np.array([0, 1, 0, 1])), ["'X'", "2-D", "1-D"]),
        (dict(X=np.ones((4, 2)), y=np.array([[0, 1, 0, 1]])), ["'y'", "1-D", "2-D"]),
        (dict(X=np.ones((4, 2)), y=np.array([0, 1, 0])), ["4 rows", "3 labels"]),
        (dict(X=np.ones((3, 2)), y=np.array([0, 1, 2])), ["'y'", "0 or 1", "index 2"]),
        (dict(X=np.array([[1.0, np.nan], [2, 3]]), y=np.array([0, 1])), ["'X'", "nan", "row 0", "column 1"]),
        (dict(X=np.array([[1.0, 2], [np.inf, 3]]), y=np.array([0, 1])), ["'X'", "inf", "row 1"]),
        (dict(X=np.array([["a", "b"], ["c", "d"]]), y=np.array([0, 1])), ["'X'", "dtype", "numbers"]),
        (dict(X=np.ones((1, 2)), y=np.array([1])), ["at least 2"]),
        (dict(X=np.ones((3, 2)), y=np.zeros(3)), ["one class", "both"]),
        (dict(X=np.ones((3, 0)), y=np.array([0, 1, 1])), ["no feature columns"]),
    ],
)
def test_malformed_npz(arrays, words):
    with pytest.raises(ValueError) as err:
        load_features(npz_bytes(**arrays), filename="bad.npz")
    msg = str(err.value)
    for w in words:
        assert w.lower() in msg.lower(), (w, msg)


def test_npz_object_array_rejected_without_unpickling(tmp_path, monkeypatch):
    import pickle

    X = np.empty((2, 2), dtype=object)
    X[:] = [[1.0, 2.0], [3.0, 4.0]]
    p = tmp_path / "obj.npz"
    np.savez(p, X=X, y=np.array([0, 1]))

    def no_unpickling(*args, **kwargs):
        raise AssertionError("load_features tried to unpickle")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    with pytest.raises(ValueError, match=r"'X'.*Python objects"):
        load_features(p)


def test_npz_not_a_zip():
    with pytest.raises(ValueError, match="not a zip"):
        load_features(b"just some text, not numpy", filename="bad.npz")
    buf = io.BytesIO()
    np.save(buf, np.ones(3))
    with pytest.raises(ValueError, match=r"\.npy"):
        load_features(buf.getvalue(), filename="bad.npz")


def test_npz_damaged_member():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("X.npy", b"garbage")
        zf.writestr("y.npy", b"garbage")
    with pytest.raises(ValueError, match="'X'"):
        load_features(buf.getvalue(), filename="bad.npz")


# --- source, format and size --------------------------------------------------


def test_unknown_extension_and_missing_name(tmp_path):
    with pytest.raises(ValueError, match=r"\.xlsx.*\.csv or \.npz"):
        load_features(b"a,label\n1,0\n", filename="book.xlsx")
    with pytest.raises(ValueError, match="no extension"):
        load_features(b"a,label\n1,0\n", filename="README")
    with pytest.raises(ValueError, match="filename"):
        load_features(b"a,label\n1,0\n")
    with pytest.raises(ValueError, match="no feature file"):
        load_features(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="source"):
        load_features(12345, filename="x.csv")


def test_size_limit(tmp_path):
    data = csv_bytes("a,label\n" + "1.0,0\n2.0,1\n" * 100)
    with pytest.raises(ValueError, match=r"limit is 0\.0001 MB"):
        load_features(data, filename="big.csv", max_bytes=100)
    p = tmp_path / "big.csv"
    p.write_bytes(data)
    with pytest.raises(ValueError, match="limit"):
        load_features(p, max_bytes=100)
    assert load_features(p, max_bytes=len(data)).M == 200
    with pytest.raises(ValueError, match="max_bytes"):
        load_features(p, max_bytes=0)


def test_write_features_csv_checks(tmp_path):
    with pytest.raises(ValueError, match="labels"):
        write_features_csv(tmp_path / "w.csv", np.ones((2, 2)), [0, 2])
    with pytest.raises(ValueError, match="feature_names"):
        write_features_csv(tmp_path / "w.csv", np.ones((2, 2)), [0, 1], feature_names=["a"])
    with pytest.raises(ValueError, match="label"):
        write_features_csv(tmp_path / "w.csv", np.ones((2, 2)), [0, 1], feature_names=["a", "label"])


# --- bundled and digits ---------------------------------------------------------


def test_bundled_set():
    fs = load_bundled()
    assert fs.X.shape == (400, 32) and fs.labels.shape == (400,)
    assert set(np.unique(fs.labels)) == {0.0, 1.0}
    assert 100 <= fs.n_positive <= 140  # about 30 % birds
    assert (fs.X >= 0).all()
    assert fs.class_names == ("not bird", "bird")
    assert BUNDLED_FEATURES.stat().st_size < 200_000


def test_bundled_set_is_linearly_separable_only_in_part():
    """A plain logistic regression (numpy, gradient descent) gets well above chance but not 100 %."""
    fs = load_bundled()
    X = (fs.X - fs.X.mean(0)) / fs.X.std(0)
    Xb = np.hstack([X, np.ones((fs.M, 1))])  # (M, F+1)
    order = np.random.default_rng(0).permutation(fs.M)
    tr, te = order[:300], order[300:]
    w = np.zeros(Xb.shape[1])
    for _ in range(2000):
        p = 1 / (1 + np.exp(-Xb[tr] @ w))
        w -= 0.5 * (Xb[tr].T @ (p - fs.labels[tr]) / tr.size + 1e-3 * w)
    acc = np.mean((Xb[te] @ w > 0) == (fs.labels[te] == 1))
    assert 0.78 <= acc <= 0.96, acc


def test_bundled_script_is_deterministic(tmp_path):
    script = BUNDLED_FEATURES.parent / "make_bird_features.py"
    out = tmp_path / "again.csv"
    code = (
        f"import runpy, pathlib; m = runpy.run_path({str(script)!r}); X, y = m['make'](); "
        f"m['write'](X, y, pathlib.Path({str(out)!r}))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (tmp_path / "again.csv").read_bytes() == BUNDLED_FEATURES.read_bytes()


def test_digits_pair():
    pytest.importorskip("sklearn")
    fs = load_digits_pair(3, 8)
    assert fs.F == 64 and fs.M > 300
    assert set(np.unique(fs.labels)) == {0.0, 1.0}
    assert fs.X.min() >= 0 and fs.X.max() <= 1
    assert fs.class_names == ("3", "8")
    with pytest.raises(ValueError, match="different"):
        load_digits_pair(4, 4)
    with pytest.raises(ValueError, match="b must be a digit"):
        load_digits_pair(1, 12)


def test_digits_pair_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ValueError, match="pip install scikit-learn"):
        load_digits_pair()
