"""What one session may make the server hold and do: one forward + backward pass within compute.check_pass, a live
run's history within live_run.LIVE_HISTORY_BYTES, a heatmap figure within HEATMAP_ROWS rows; and exploding runs
said in words on the theory and compare pages, at the largest N too."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cache, compute, live_run
from dashboard.config import Experiment
from dashboard.figures import gradients as gfigs

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.mark.parametrize("cell, fits", [("elman", 32), ("lstm", 8)])
def test_a_pass_beyond_the_budget_is_refused_naming_the_batch_size_that_fits(cell, fits):
    big = Experiment(N=1000, H=256, batch=256, cell=cell)
    with pytest.raises(ValueError, match=rf"lower the batch size to {fits} or fewer"):
        compute.check_pass(big)
    compute.check_pass(big.replace(batch=fits))
    units, nbytes = compute.pass_cost(big.replace(batch=fits))
    assert units <= compute.PASS_BUDGET and nbytes <= compute.PASS_BYTES


def test_pass_arrays_measure_what_a_pass_holds():
    """PASS_ARRAYS (arrays of N x B x H float64) is an upper bound of cache.size_of of gradients(exp), within 10 %."""
    for cell in ("elman", "lstm", "gru"):
        exp = Experiment(N=200, H=64, batch=32, cell=cell)
        held = cache.size_of(compute.gradients(exp))
        estimate = compute.pass_cost(exp)[1]
        assert 0.9 * estimate <= held <= estimate * 1.05, (cell, held, estimate)


def test_the_graph_page_refuses_n_1000_h_256_b_256_in_words_and_runs_at_the_default_batch():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"v": "2", "N": "1000", "H": "256", "batch": "256"})
    at.run()
    at.switch_page("app_pages/graph.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("lower the batch size to 32 or fewer" in e.value for e in at.error), [e.value for e in at.error]


def test_a_live_run_stops_where_its_history_would_outgrow_its_share():
    assert live_run.limit(10) == live_run.MAX_LIVE_ITERATIONS
    assert live_run.limit(1000) * 8 * (1000 + 12) <= live_run.LIVE_HISTORY_BYTES < (live_run.limit(1000) + 1) * 8 * 1012
    run = live_run.start_run(Experiment(N=1000, H=1, batch=1))
    assert run.limit == live_run.limit(1000) and not run.finished


def test_a_long_heatmap_draws_evenly_spaced_exact_rows_and_says_so():
    T, N = 5000, 40
    norms = np.arange(1, T * N + 1, dtype=float).reshape(T, N)  # (T, N), row t holds t*N+1 ... (t+1)*N
    fig = gfigs.heatmap(norms, np.arange(T))
    z, y = np.asarray(fig.data[0].z), np.asarray(fig.data[0].y)
    assert len(y) <= gfigs.HEATMAP_ROWS and y[0] == 0 and y[-1] == T - 1
    assert np.allclose(z, np.log10(norms[y]))  # each drawn row is the exact row of its iteration
    assert f"{len(y)} of {T} rows" in fig.layout.yaxis.title.text
    assert gfigs.heatmap(norms[:200], np.arange(200)).layout.yaxis.title.text == "training iteration"


EXPLODING = {"v": "2", "N": "1000", "H": "16", "activation": "linear", "output": "linear", "loss": "mse",
             "radius": "3.0", "optimizer": "sgd", "lr": "1.0", "iterations": "20"}


def test_theory_at_n_1000_of_an_exploding_run_says_it_overflowed_without_an_exception():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(EXPLODING)
    at.run()
    at.switch_page("app_pages/theory.py").run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(c.value for c in at.caption)
    assert "overflowed to infinity" in said and "stays below" not in said


def test_compare_says_an_overflowed_ratio_in_words():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({**EXPLODING, "N": "300", "b_field": "radius", "b_value": "0.5"})
    at.run()
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(c.value for c in at.caption) + " ".join(m.value for m in at.markdown)
    assert "A's gradient overflowed to infinity" in said and "keeps overflowed" not in said
    assert not any(w in said.split() for w in ("nan", "inf", "NaN"))
