"""Every URL parameter, the pages' own included, falls back with a notice and no exception for any string."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
GARBAGE = ["inf", "1e309", "", "nan", "<script>"]
SIDEBAR_KEYS = ["seed", "truncate", "iterations", "N", "lr", "cell", "gate_bias", "task", "radius"]
SEED_KEYS = ["seed_sample", "seed_a", "seed_kernel", "seed_weights", "seed_inputs", "seed_h0", "seed_N",
             "seed_source"]


def run(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {"v": "2", "N": "6", "H": "4", "iterations": "5", **query}.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def notices(at: AppTest) -> str:
    return " ".join(w.value for w in list(at.sidebar.warning) + list(at.main.warning))


@pytest.mark.parametrize("raw", GARBAGE)
def test_garbage_in_every_sidebar_key_falls_back_with_a_notice_for_each(raw):
    said = notices(run("graph", {key: raw for key in SIDEBAR_KEYS}))
    missing = [key for key in SIDEBAR_KEYS if f"URL parameter {key}=" not in said]
    assert not missing, (raw, missing, said)


@pytest.mark.parametrize("raw", GARBAGE)
def test_garbage_in_every_seed_page_key_falls_back_with_a_notice_for_each(raw):
    said = notices(run("seed_example", {key: raw for key in SEED_KEYS}))
    missing = [key for key in SEED_KEYS if f"URL parameter {key}=" not in said]
    assert not missing, (raw, missing, said)

CREDIT_KEYS = ["credit_m", "credit_sample"]


@pytest.mark.parametrize("raw", GARBAGE)
def test_garbage_in_every_credit_page_key_falls_back_with_a_notice_for_each(raw):
    at = run("credit", {"task": "copy", **{key: raw for key in CREDIT_KEYS}})
    said = notices(at)
    missing = [key for key in CREDIT_KEYS if f"URL parameter {key}=" not in said]
    assert not missing, (raw, missing, said)
    assert at.slider(key="credit_m").value == 6 and at.number_input(key="credit_sample").value == 0


@pytest.mark.parametrize("key", ["b_field", "b_value", "b_field2", "b_value2"])
def test_a_compare_key_with_garbage_falls_back_with_its_notice(key):
    query = {"b_field": "N", "b_field2": "H"} if key in ("b_value", "b_value2") else {}
    at = run("compare", {**query, key: "1e309"})
    assert f"URL parameter {key}=" in notices(at)


def test_a_repeated_key_is_read_as_its_last_value_by_the_notice_and_the_widget_alike():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["v"] = "2"
    at.query_params["N"] = ["zzz", "5"]
    at.run()
    at.switch_page("app_pages/graph.py").run()
    assert not at.exception
    assert at.sidebar.slider(key="N").value == 5 and "URL parameter N" not in notices(at)


def test_edited_weights_in_the_url_that_are_not_json_are_said_and_ignored():
    at = run("graph", {"weights": "{not json"})
    assert "URL parameter weights=" in notices(at) and not at.error
