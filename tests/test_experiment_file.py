"""Experiments as files: "Save this experiment" -> config.json -> "Open an experiment" gives back the same
Experiment (edited weights included) and the same figures; a bad file is named, never a traceback; the CLI
exports from such a file; exported figures carry the settings subtitle unless it is switched off."""
import io
import json
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from dashboard import experiment_file, export, export_bundle, ui
from dashboard.config import DEFAULT, FIELDS, Experiment, settings_line
from dashboard.experiment_file import read

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
W_S = [[0.5 if i == j else 0.0 for j in range(4)] for i in range(4)]  # (H, H) at H = 4
EDITED = DEFAULT.replace(N=24, H=4, activation="sigmoid", radius=1.25, seed=7, iterations=30, clip="norm",
                         weights=json.dumps({"W_s": W_S}, separators=(",", ":")))


class KeptStorage(app_test_module.MemoryMediaFileStorage):
    """AppTest's media storage, kept after the run so a download button's bytes can be read back."""

    last = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        KeptStorage.last = self


def downloaded(button) -> bytes:
    """The bytes a download button serves (its url is /mock/media/<file id>.<ext>)."""
    return KeptStorage.last.get_file(button.proto.url.rsplit("/", 1)[1]).content


def page(path: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> dict:
    return {name: fig.to_plotly_json() for name, fig in at.session_state[ui.FIGURES_KEY].items()}


def save_button(at: AppTest):
    (button,) = [b for b in at.get("download_button") if b.proto.label == "Save this experiment"]
    return button


def uploader(at: AppTest):
    (up,) = [u for u in at.get("file_uploader") if u.key.startswith("open_experiment")]
    return up


def test_save_then_open_in_another_session_restores_every_field_and_the_same_figures(monkeypatch):
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", KeptStorage)
    query = {k: str(v) for k, v in EDITED.replace(weights="").changed().items()} | {"v": "2"}
    saver = page("app_pages/weights.py", query)
    # a weight typed into the Weights page's W_s editor (its cell s₁, s₁), as the data editor reports an edit
    saver.session_state["edit_W_s_0"] = {"edited_rows": {0: {"s₁": 0.123}}, "added_rows": [], "deleted_rows": []}
    saver.run()
    edited = saver.session_state["experiment"]
    assert edited.replace(weights="") == EDITED.replace(weights="")
    assert json.loads(edited.weights)["W_s"][0][0] == 0.123, "the edit is in the experiment"
    saver.switch_page("app_pages/gradients.py").run()
    data = downloaded(save_button(saver))
    assert data.decode() == export_bundle.config_json(edited), "the same config.json the export ZIP holds"

    opener = page("app_pages/gradients.py")  # a new visitor, at the defaults
    assert opener.session_state["experiment"] == DEFAULT
    uploader(opener).upload("config.json", data, "application/json").run()
    assert not opener.exception and not opener.error, [e.value for e in opener.error]
    opened = opener.session_state["experiment"]
    for name in FIELDS:
        assert getattr(opened, name) == getattr(edited, name), name
    assert len(figures(saver)) >= 3 and figures(opener) == figures(saver), "the same figures, from the same experiment"
    assert dict(opener.query_params) == dict(saver.query_params), "the address is the experiment's link"
    assert opener.slider(key="N").value == 24 and opener.selectbox(key="activation").value == "sigmoid"
    assert any("Opened config.json" in s.value and "H = 4" in s.value for s in opener.success)
    opener.switch_page("app_pages/weights.py").run()  # every page follows, the Weights page's editor included
    assert not opener.exception and opener.session_state["experiment"] == edited, "the editor keeps the weights"
    assert any(m.value == "**W_s** · edited" for m in opener.markdown), "the editor holds the opened W_s"


def test_a_zip_exported_by_the_app_opens_too():
    exp = DEFAULT.replace(task="copy", cell="gru", gate_bias=-1.0, N=40)
    zipped = export_bundle.page_zip({}, exp, "http://x/credit?cell=gru", ["png"])  # no figure: no Chromium needed
    at = page("app_pages/graph.py")
    uploader(at).upload("rnn-gradient-lab-credit.zip", zipped, "application/zip").run()
    assert not at.exception and at.session_state["experiment"] == exp
    assert at.query_params["cell"] == "gru" and at.query_params["N"] == "40"


def test_a_bad_file_is_named_in_the_sidebar_and_changes_nothing():
    at = page("app_pages/graph.py", {"N": "33", "v": "2"})
    uploader(at).upload("config.json", b'{"N": 5000}', "application/json").run()
    assert not at.exception
    assert [e.value for e in at.sidebar.error] == ["Not opened: config.json: setting N = 5000: expected a whole "
                                                    "number from 1 to 1000."]
    assert at.session_state["experiment"] == DEFAULT.replace(N=33) and at.query_params["N"] == "33"
    uploader(at).clear().run()  # the file removed: so is the message about it
    assert not at.sidebar.error and not at.exception


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("data, says", BAD := [
    (b"N = 50\n", "config.json is not valid JSON (line 1, column 1"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "config.json is not text (not UTF-8)"),
    (b"[1, 2, 3]", "config.json holds a JSON list, not a JSON object of settings"),
    (b'{"title": "x", "settings": {"N": 5}}', "unknown setting(s): settings, title"),
    (b'{"activation": "softsign"}', "setting activation = \"softsign\": expected one of tanh, sigmoid"),
    (b'{"N": 12.5}', "setting N = 12.5: expected a whole number from 1 to 1000"),
    (b'{"H": true}', "setting H = true: expected one of"),
    (b'{"weights": [1, 2]}', "setting weights = [1, 2]: expected a JSON object"),
    (b'{"H": 4, "weights": "{\\"W_s\\": [[1, 0], [0, 1]]}"}', "setting weights: the edited W_s has shape (2, 2), "
                                                               "but this network (the Elman cell, H = 4, D = 2) needs (4, 4)"),
    (b'{"weights": {"W_q": [1]}}', "setting weights: the edited weights name 'W_q'"),
    (b"[" * 100_000, "config.json is nested too deeply"),
    (_zip({"link.txt": b"?N=3"}), "the ZIP config.json holds no config.json file"),
    (_zip({"a/config.json": b"{}", "b/config.json": b"{}"}), "holds 2 config.json files"),
    (_zip({"config.json": b'{"seed": -1}'}), "config.json in config.json: setting seed = -1: expected a whole number"),
    (b"PK\x03\x04" + b"\x00" * 40, "config.json is not valid JSON"),  # a ZIP's magic but no ZIP: read as text
], ids=[says[:24] for _, says in BAD])
def test_a_malformed_or_foreign_file_names_what_is_wrong(data, says):
    with pytest.raises(ValueError) as err:
        read(data)
    assert says in str(err.value), str(err.value)


def test_too_large_files_are_refused_before_they_are_parsed(monkeypatch):
    monkeypatch.setattr(experiment_file, "MAX_FILE_MB", 1)
    with pytest.raises(ValueError, match=r"config.json is 2 MB; an experiment file is at most 1 MB"):
        read(b" " * 2 * 2**20)
    monkeypatch.setattr(experiment_file, "MAX_CONFIG_MB", 0.001)  # the config.json inside a ZIP: its unpacked size
    with pytest.raises(ValueError, match=r"the config.json in big.zip is 0 MB; a config.json is at most"):
        read(_zip({"config.json": b"{" + b" " * 5000 + b"}"}), "big.zip")


def test_what_the_app_saves_reads_back_for_every_preset():
    from dashboard import presets

    for p in presets.all_presets().values():
        assert read(export_bundle.config_json(p.experiment).encode()) == p.experiment, p.name
    assert read(export_bundle.config_json(EDITED).encode()) == EDITED
    assert read(b"{}") == DEFAULT  # fields left out keep their defaults


# ---------------------------------------------------------------- the settings subtitle

def test_the_settings_line_says_what_matters_for_the_cell_and_the_page():
    assert export_bundle.subtitle(EDITED, "gradients") == (
        "Adding problem · RNN, sigmoid · N = 24 · H = 4 · edited weights · seed 7 · 30 iterations, Adam γ = 0.01 · "
        "clipped by norm at 1")
    lstm = DEFAULT.replace(cell="lstm", gate_bias=-3.0, radius=0.0, init="normal", scale=0.5)
    assert export_bundle.subtitle(lstm, "graph") == ("Adding problem · LSTM, tanh, forget-gate bias -3 · N = 10 · "
                                                     "H = 16 · normal W_s × 0.5 · seed 0"), "θ(0): no training"
    assert export_bundle.subtitle(EDITED, "seed") == "Bird classifier, one step · H = 4 · seed 7 · 30 iterations, γ = 0.01"
    assert export_bundle.subtitle(DEFAULT, "compare").startswith("A: Adding problem · RNN, tanh · N = 10")
    assert settings_line(Experiment(truncate=5)).endswith("BPTT truncated at 5")


@pytest.fixture(scope="module")
def server():
    export.start()
    yield


def test_zip_figures_carry_the_subtitle_unless_switched_off(server):
    from dashboard.figures import gradients as gfigs

    fig = gfigs.decay_curve([1e-3, 1e-2, 1e-1, 1.0], [1e-3, 1e-2, 1e-1, 1.0], "screen")
    line = export_bundle.subtitle(EDITED, "gradients")
    on = zipfile.ZipFile(io.BytesIO(export_bundle.page_zip({"decay": fig}, EDITED, "?", ["svg"], page="gradients")))
    off = zipfile.ZipFile(io.BytesIO(export_bundle.page_zip({"decay": fig}, EDITED, "?", ["svg"])))
    assert "seed 7" in on.read("decay.svg").decode() and "30 iterations" in on.read("decay.svg").decode()
    assert "seed 7" not in off.read("decay.svg").decode()
    assert fig.layout.title.subtitle.text is None, "the figure on the page is not changed"
    assert line in on.read("decay.svg").decode().replace("&#8203;", "")


class KeptManager(app_test_module.MediaFileManager):
    """AppTest's media file manager, kept after the run so a deferred download (the ZIP) can be made."""

    last = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        KeptManager.last = self


def zip_of_the_page(at: AppTest) -> zipfile.ZipFile:
    """The ZIP the page's "Download all figures" button serves, made as a click on it would make it."""
    (button,) = [b for b in at.get("download_button") if b.proto.id.endswith("zip_all_figures")]
    url = KeptManager.last.execute_deferred(button.proto.deferred_file_id)
    return zipfile.ZipFile(io.BytesIO(KeptStorage.last.get_file(url.rsplit("/", 1)[1]).content))


def test_the_zip_switch_beside_the_download_puts_the_subtitle_in_or_leaves_it_out(monkeypatch, server):
    monkeypatch.setattr(app_test_module, "MediaFileManager", KeptManager)
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", KeptStorage)
    at = page("app_pages/graph.py", {"N": "7", "v": "2"})
    box = at.checkbox(key="zip_subtitle")
    assert box.value is True and "N = 7" in box.proto.help, "on by default, and it says what it will write"
    at.get("button_group")[0].set_value(["SVG"]).run()  # the ZIP's formats: SVG only, to read its text
    on = zip_of_the_page(at)
    assert "N = 7 · H = 16" in on.read("unfolded-graph.svg").decode()
    at.checkbox(key="zip_subtitle").uncheck().run()
    off = zip_of_the_page(at)
    assert sorted(off.namelist()) == sorted(on.namelist())
    assert "N = 7 · H = 16" not in off.read("unfolded-graph.svg").decode()


def test_cli_exports_from_a_saved_file_with_the_subtitle_and_without(tmp_path, server, capsys):
    config = tmp_path / "config.json"
    config.write_text(export_bundle.config_json(EDITED))
    out = tmp_path / "on"
    assert export.main(["--config", str(config), "--out", str(out), "--pages", "graph", "--format", "svg",
                        "--figures", "unfolded-graph"]) == 0
    svg = (out / "graph_unfolded-graph.svg").read_text()
    assert "N = 24" in svg and "edited weights" in svg and "iterations" not in svg, "θ(0) on the graph page"
    assert read((out / "config.json").read_bytes()) == EDITED
    assert "of experiment" in capsys.readouterr().err
    off = tmp_path / "off"
    assert export.main(["--config", str(config), "--out", str(off), "--pages", "graph", "--format", "svg",
                        "--figures", "unfolded-graph", "--no-subtitle"]) == 0
    assert "N = 24" not in (off / "graph_unfolded-graph.svg").read_text()


@pytest.mark.parametrize("content, says", [
    (None, "cannot export from --config: cannot read"),
    ('{"N": 0}', "cannot export from --config: "),
])
def test_cli_bad_config_is_a_one_line_error_with_status_2(tmp_path, capsys, content, says):
    config = tmp_path / "config.json"
    if content is not None:
        config.write_text(content)
    assert export.main(["--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and says in err, err
    assert not (tmp_path / "out").exists()
