"""Static export: file sizes and formats read back from the bytes, the page ZIP, the CLI's exit codes,
and the no-Chromium path (in the library, the app and the CLI).

One kaleido server (one Chromium) per test process: every test here runs in one xdist worker.
"""
from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import kaleido
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import export, export_bundle, export_headless, presets, ui
from dashboard.config import Experiment, from_dict, to_query
from dashboard.figures import gradients as gfigs

pytestmark = pytest.mark.xdist_group("export")

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the PNG signature and IHDR chunk (bytes 16..24)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def pdf_pages(data: bytes) -> int:
    """Number of /Type /Page objects (not /Pages, the page tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


@pytest.fixture(scope="module")
def fig():
    n = np.arange(1, 31)
    state_grad = 0.8 ** (30 - n)  # (N,)
    return gfigs.decay_curve(state_grad, 0.9 ** (30 - n), "screen")


@pytest.fixture(scope="module")
def server():
    export.start()  # the first start pays for Chromium; every later export reuses it
    yield


@pytest.mark.parametrize("scale", [1, 2])
def test_png_has_slide_size_and_scale_doubles_it(server, fig, scale):
    data = export.to_bytes(fig, "png", scale=scale)
    assert png_size(data) == (1920 * scale, 1080 * scale)


def test_png_honours_a_custom_size(server, fig):
    assert png_size(export.to_bytes(fig, "png", width=800, height=450)) == (800, 450)


def test_svg_is_xml_with_an_svg_root_of_slide_size(server, fig):
    root = ET.fromstring(export.to_bytes(fig, "svg"))
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    assert (float(root.get("width")), float(root.get("height"))) == (1920, 1080)
    text = "".join(root.itertext())
    assert "‖∂L/∂s(n)‖" in text, "Unicode symbols survive the export"


def test_pdf_has_exactly_one_page(server, fig):
    data = export.to_bytes(fig, "pdf")
    assert data.startswith(b"%PDF")
    assert pdf_pages(data) == 1


def test_export_dresses_in_the_projector_theme_without_touching_the_figure(server, fig):
    before = fig.to_json()
    svg = export.to_bytes(fig, "svg").decode()
    assert fig.to_json() == before
    sizes = {float(s) for s in re.findall(r"font-size:\s*([\d.]+)px", svg)}
    assert max(sizes) >= 44, f"projector title size expected, got font sizes {sorted(sizes)}"


def test_bad_format_and_size_are_plain_errors(fig):
    with pytest.raises(ValueError, match="unknown format"):
        export.to_bytes(fig, "gif")
    with pytest.raises(ValueError, match="out of range"):
        export.to_bytes(fig, "png", width=0)


def test_zip_holds_each_figure_in_each_format_plus_config_and_link(server, fig):
    exp = presets.get("vanishing_tanh").experiment
    link = export_bundle.link(exp, "http://host:8501/gradients?old=1")
    data = export_bundle.page_zip({"decay": fig, "decay-again": fig}, exp, link, ["png2x", "pdf"])
    z = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(z.namelist()) == sorted([
        "decay@2x.png", "decay.pdf", "decay-again@2x.png", "decay-again.pdf", "config.json", "link.txt"])
    assert png_size(z.read("decay-again@2x.png")) == (3840, 2160)
    assert pdf_pages(z.read("decay.pdf")) == 1
    assert from_dict(json.loads(z.read("config.json"))) == exp
    assert z.read("link.txt").decode().strip() == f"http://host:8501/gradients?{to_query(exp)}"


def test_link_of_the_defaults_is_the_bare_page():
    assert export_bundle.link(Experiment(), "http://h/x?a=1") == "http://h/x"
    assert export_bundle.link(Experiment(), "http://h/x", {"projector": "true"}) == "http://h/x?projector=true"


# ---------------------------------------------------------------- without Chromium

def test_without_chromium_export_says_how_to_install_it(monkeypatch, fig):
    monkeypatch.setattr(export, "_state", {"ready": False, "failed": None})
    monkeypatch.setattr(export, "chromium_path", lambda: None)
    assert "sudo apt-get install chromium" in export.unavailable()
    with pytest.raises(export.ExportUnavailable, match="sudo apt-get install chromium"):
        export.to_bytes(fig, "png")


def test_a_chromium_that_will_not_start_turns_export_off(monkeypatch, fig):
    monkeypatch.setattr(export, "_state", {"ready": False, "failed": None})

    def refuse(*args, **kwargs):
        raise RuntimeError("browser crashed on launch")

    monkeypatch.setattr(kaleido, "start_sync_server", refuse)
    with pytest.raises(export.ExportUnavailable, match="apt-get install chromium"):
        export.to_bytes(fig, "png")
    assert "browser crashed on launch" in export.unavailable()


def test_a_chromium_that_dies_later_gives_a_message_not_a_hang(monkeypatch, fig):
    class DeadServer:
        _thread = threading.Thread(target=lambda: None)  # never started: not alive
        closed = False

        def is_running(self):
            return True

        def close(self, silence_warnings=False):
            DeadServer.closed = True

    never = threading.Event()
    monkeypatch.setattr(export, "_state", {"ready": True, "failed": None})
    monkeypatch.setattr(kaleido, "_global_server", DeadServer())
    monkeypatch.setattr(kaleido, "calc_fig_sync", lambda *a, **k: never.wait())  # the queue nobody serves
    with pytest.raises(export.ExportUnavailable, match="Chromium stopped"):
        export.to_bytes(fig, "png")
    assert export.unavailable() and DeadServer.closed, "export is off and the dead server is reset"


def _gradients_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/gradients.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_without_chromium_says_so_beside_the_buttons_and_keeps_working(monkeypatch):
    monkeypatch.setattr(export, "chromium_path", lambda: None)
    monkeypatch.setattr(export, "_state", {"ready": False, "failed": None})
    at = _gradients_page()
    charts = at.get("plotly_chart")
    assert len(charts) >= 3, "the page still draws its charts"
    warnings = [w.value for w in at.warning if "sudo apt-get install chromium" in w.value]
    assert len(warnings) == len(charts) + 1, "one notice in every chart's menu and one at the ZIP button"
    buttons = at.get("download_button")
    variant_labels = {label for label, _, _ in ui.VARIANTS}
    figure_buttons = [b for b in buttons if b.proto.label in variant_labels or "figures of this page" in b.proto.label]
    assert len(figure_buttons) == len(charts) * len(ui.VARIANTS) + 1
    assert all(b.proto.disabled for b in figure_buttons)
    csv = [b for b in buttons if "CSV" in b.proto.label]
    assert csv and not any(b.proto.disabled for b in csv), "CSV downloads do not need Chromium"


def test_app_offers_every_format_under_every_chart_and_one_zip():
    at = _gradients_page()
    charts = at.get("plotly_chart")
    labels = [b.proto.label for b in at.get("download_button")]
    for label, _, _ in ui.VARIANTS:
        assert labels.count(label) == len(charts)
    assert sum(label.startswith(f"Download all {len(charts)} figures") for label in labels) == 1
    recorded = at.session_state[ui.FIGURES_KEY]
    assert len(recorded) == len(charts), "ui.chart records exactly the figures the page placed"


def test_projector_toggle_from_the_url_switches_the_charts():
    at = _gradients_page({"projector": "true"})
    assert at.toggle(key=ui.PROJECTOR_KEY).value is True
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        assert spec["layout"]["template"]["layout"]["font"]["size"] == 30


def test_headless_run_collects_the_figures_the_pages_draw():
    exp = presets.get("vanishing_tanh").experiment
    figures, problems, notes = export_headless.page_figures(exp, ["gradients"], "projector")
    assert not problems and not notes
    assert set(figures) >= {"gradients_gradient-decay", "gradients_gradient-heatmap"}
    decay = figures["gradients_gradient-decay"]
    assert len(decay.data[0].y) == exp.N, "the figure of the preset's experiment, not the default one"


# ---------------------------------------------------------------- command line

def cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard.export", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=240, env={**os.environ, **(env or {})})


def test_cli_lists_presets():
    r = cli("--list")
    assert r.returncode == 0
    assert all(name in r.stdout for name in presets.all_presets())


def test_cli_bad_preset_is_a_one_line_error_with_status_2(tmp_path):
    r = cli("--preset", "no_such_preset", "--out", str(tmp_path))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "unknown preset 'no_such_preset'" in r.stderr


def test_cli_unwritable_folder_is_a_one_line_error_with_status_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    r = cli("--preset", "vanishing_tanh", "--out", str(blocker / "sub"))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "cannot write" in r.stderr


def test_cli_without_chromium_exits_2_with_the_install_command(tmp_path):
    r = cli("--preset", "vanishing_tanh", "--out", str(tmp_path), env={"BROWSER_PATH": str(tmp_path / "none")})
    assert r.returncode == 2
    assert "sudo apt-get install chromium" in r.stderr
    assert not list(tmp_path.iterdir())


def test_cli_writes_every_figure_plus_config_and_prints_what_it_wrote(tmp_path):
    out = tmp_path / "slides"
    r = cli("--preset", "vanishing_tanh", "--out", str(out), "--format", "png,svg,pdf", "--width", "640",
            "--height", "360")
    assert r.returncode == 0, r.stderr
    written = [Path(line) for line in r.stdout.split()]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    pngs = sorted(out.glob("gradients_*.png"))
    assert len(pngs) >= 3 and len(list(out.glob("*.svg"))) == len(pngs) == len(list(out.glob("*.pdf")))
    assert all(png_size(p.read_bytes()) == (640, 360) for p in pngs)
    assert from_dict(json.loads((out / "config.json").read_text())) == presets.get("vanishing_tanh").experiment
    assert (out / "link.txt").read_text().startswith("http://localhost:8501/gradients?")


def test_cli_figures_option_picks_charts_and_rejects_unknown_names(tmp_path):
    r = cli("--preset", "vanishing_tanh", "--out", str(tmp_path), "--figures", "no-such-chart")
    assert r.returncode == 2 and "no figure named 'no-such-chart'" in r.stderr
    assert "gradients_gradient-decay" in r.stderr, "the message lists the charts there are"


def _two_widths_script():
    import plotly.graph_objects as go
    import streamlit as st

    from dashboard import ui

    st.session_state["projector"] = True
    fig = go.Figure(go.Scatter(y=[1, 2]), layout=dict(title="Vanishing-gradient heatmap: during training"))
    ui.chart(fig, "full")
    left, _ = st.columns(2)
    with left:
        ui.chart(fig, "half")


def test_projector_titles_fit_the_width_a_chart_gets_on_the_page():
    at = AppTest.from_function(_two_widths_script, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    full, half = (json.loads(c.proto.spec)["layout"]["title"] for c in at.get("plotly_chart"))
    assert "<br>" not in full["text"] and 24 <= full["font"]["size"] < 44, "shrunk to one line"
    assert "<br>" in half["text"], "wrapped in a half-width column"
    assert at.session_state[ui.FIGURES_KEY]["half"].layout.title.text == full["text"], "the export keeps its own"
