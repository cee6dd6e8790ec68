"""Uploads are bounded like any other work: a column whose values overflow when standardised is named with
its file, and a large file is fitted on a seeded, stratified sample of its rows, which the page says."""
import io

import numpy as np
import pytest

from dashboard import seed as sd
from rnn_engine import FeatureSet


def csv_bytes(rows) -> bytes:
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("big", ["1e308", "-1.7e308"])
def test_a_csv_column_of_finite_but_huge_values_is_named_with_its_file(big):
    rows = ["small,huge,label"] + [f"{i},{big if i % 2 else '-1e308'},{i % 2}" for i in range(40)]
    with pytest.raises(ValueError, match=r"file 'big\.csv', column 'huge'.*overflows"):
        sd.read_upload(csv_bytes(rows), "big.csv")


def test_an_npz_column_that_overflows_is_named_too_and_a_large_but_safe_one_passes():
    X = np.random.default_rng(0).normal(size=(40, 3))  # (M, F)
    y = np.arange(40) % 2
    safe, buf = X.copy(), io.BytesIO()
    safe[:, 1] *= 1e150  # its squares are still float64s
    np.savez(buf, X=safe, y=y)
    assert sd.read_upload(buf.getvalue(), "safe.npz").M == 40
    X[:, 2] = np.where(y, 1e308, -1e308)
    buf = io.BytesIO()
    np.savez(buf, X=X, y=y)
    with pytest.raises(ValueError, match=r"file 'f\.npz', column .*overflows"):
        sd.read_upload(buf.getvalue(), "f.npz")


def feature_set(M: int, F: int, positive: float = 0.3) -> FeatureSet:
    rng = np.random.default_rng(1)
    labels = (rng.random(M) < positive).astype(float)  # (M,)
    return FeatureSet(rng.normal(size=(M, F)) + labels[:, None], labels, [f"f{j}" for j in range(F)], "test")


def test_a_small_set_is_used_whole():
    fs = feature_set(500, 4)
    assert sd.fit_rows(fs, 0) is fs and sd.sampled_words(fs, fs, 0) == ""


@pytest.mark.parametrize("M, F", [(60_000, 2), (12_000, 1000)])
def test_a_large_set_is_sampled_within_the_budget_seeded_and_stratified(M, F):
    fs = feature_set(M, F)
    fit = sd.fit_rows(fs, 0)
    n = fit.M
    assert n == sd.fit_size(M, F) < M and n <= sd.MAX_ROWS and n**2 * F <= sd.FIT_BUDGET * 1.001
    assert abs(fit.labels.mean() - fs.labels.mean()) < 0.01  # both classes keep their share
    rows = {tuple(r) for r in fs.X[:, :2].round(12)}
    assert all(tuple(r) in rows for r in fit.X[:50, :2].round(12))  # rows of the file, not made up
    again, other = sd.fit_rows(fs, 0), sd.fit_rows(fs, 1)
    assert np.array_equal(again.X, fit.X) and not np.array_equal(other.X, fit.X)
    words = sd.sampled_words(fs, fit, 0)
    assert f"{n:,} of them" in words and f"{M:,} rows" in words and "seed 0" in words
