"""Every preset's description states only what the app measures for it: each number in it is a claim that
this test checks by running the preset (dashboard/measures.py measures as the pages do)."""
import json
import re

import pytest

from dashboard import measures, presets
from dashboard.presets import PRESET_DIR

ALL = sorted(presets.all_presets())


@pytest.mark.parametrize("name", ALL)
def test_every_claim_of_the_description_holds(name):
    p = presets.get(name)
    for claim in p.claims:
        value = measures.MEASURES[claim.quantity](claim.experiment(p.experiment))
        assert claim.low <= value <= claim.high, (
            f"{name}: the description says {claim.quantity} is {claim.says!r} ({claim.low:g}..{claim.high:g}); "
            f"the app measures {value:.4g}")


@pytest.mark.parametrize("name", ALL)
def test_every_number_placeholder_has_a_claim_and_every_claim_is_known(name):
    raw = json.loads((PRESET_DIR / f"{name}.json").read_text())
    placeholders = set(re.findall(r"{(\w+)}", raw["explains"]))
    claims = {c.name: c for c in presets.get(name).claims}
    assert placeholders <= set(claims), f"{name}: {placeholders - set(claims)} have no claim"
    quantities = {c.quantity for c in claims.values()}
    assert quantities <= set(measures.MEASURES), f"{name}: unknown quantities {quantities - set(measures.MEASURES)}"
    for q in placeholders:
        assert claims[q].says and claims[q].says in presets.get(name).explains


def test_the_learning_pair_makes_the_lecture_point():
    """One click apart: at N = 10 the network learns to add, at N = 50 (everything else equal) it does not."""
    short, long = presets.get("learns_short").experiment, presets.get("fails_long").experiment
    assert short.replace(N=50) == long
    assert measures.val_ratio(short) < 0.1 < 0.9 < measures.val_ratio(long)
