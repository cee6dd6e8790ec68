"""The Experiment <-> URL round trip, and presets: every field has a domain, garbage falls back with a notice."""
import dataclasses
from urllib.parse import parse_qs, parse_qsl

import pytest

from dashboard import presets
from dashboard.config import DEFAULT, FIELDS, Experiment, from_dict, from_query, spec, to_query


def test_defaults_are_inside_their_own_domain():
    for name in FIELDS:
        value = getattr(DEFAULT, name)
        assert spec(name).parse(str(value), value) == value


def test_query_round_trip_reproduces_the_experiment():
    exp = Experiment(task="sine", N=777, H=64, activation="relu", lr=0.003, radius=1.5, truncate=9, clip="norm")
    back, notices = from_query({k: v[0] for k, v in parse_qs(to_query(exp)).items()})
    assert notices == []
    assert back == exp


def test_defaults_make_an_empty_link():
    assert to_query(DEFAULT) == ""


@pytest.mark.parametrize("key,raw", [("N", "abc"), ("N", "0"), ("N", "1001"), ("N", "2.5"), ("lr", "7"),
                                     ("activation", "swish"), ("H", "-3"), ("seed", "1e99"), ("task", "")])
def test_garbage_falls_back_to_the_default_with_a_notice(key, raw):
    exp, notices = from_query({key: raw, "activation": "sigmoid", "v": "2"} if key != "activation" else {key: raw, "v": "2"})
    assert getattr(exp, key) == getattr(DEFAULT, key)
    assert len(notices) == 1 and key in notices[0] and repr(raw) in notices[0]
    if key != "activation":
        assert exp.activation == "sigmoid"  # the good parameter survives the bad one


def test_unknown_url_keys_are_left_alone():
    exp, notices = from_query({"utm_source": "slides", "N": "12", "v": "2"})
    assert exp.N == 12 and notices == []


def test_a_link_from_before_the_defaults_changed_keeps_its_meaning():
    """Links without the version key were made when N = 30 and SGD at γ = 0.1 were the defaults."""
    old, notices = from_query({"H": "8"})
    assert (old.H, old.N, old.optimizer, old.lr) == (8, 30, "sgd", 0.1) and notices == []
    assert from_query({"H": "8", "optimizer": "momentum"})[0].optimizer == "momentum"  # given: kept
    assert from_query({"H": "8", "N": "zzz"})[1] == [
        "URL parameter N='zzz' ignored (expected a whole number from 1 to 1000); using 30."]
    new = from_query({"H": "8", "v": "2"})[0]
    assert (new.N, new.optimizer, new.lr) == (DEFAULT.N, DEFAULT.optimizer, DEFAULT.lr)
    assert from_query({})[0] == DEFAULT == from_query({"utm_source": "slides"})[0]  # no setting: today's defaults
    back = from_query(dict(parse_qsl(to_query(old))))[0]
    assert back == old and "v=2" in to_query(old)  # a link made now carries the version key
    seed_page = from_query({"seed_H": "3", "seed_sample": "7"})[0]  # its own H, γ, iterations then
    assert (seed_page.H, seed_page.lr, seed_page.iterations) == (3, 0.01, 300)
    assert from_query({"seed_sample": "7"})[0].H == 4


def test_from_dict_rejects_unknown_and_invalid_settings():
    with pytest.raises(ValueError, match="unknown setting"):
        from_dict({"nonsense": 1})
    with pytest.raises(ValueError, match="whole number"):
        from_dict({"N": 0})


def test_experiment_is_hashable_and_frozen():
    assert hash(DEFAULT) == hash(Experiment())
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT.N = 3  # type: ignore[misc]


REQUIRED_PRESETS = {"vanishing_sigmoid", "vanishing_tanh", "exploding", "exploding_clipped", "irnn", "truncated", "seed_bird"}


def test_the_required_presets_exist_and_parse():
    found = presets.all_presets()
    assert REQUIRED_PRESETS <= set(found)
    for p in found.values():
        assert p.title and p.explains and p.experiment != DEFAULT


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        presets.get("nope")
