"""An experiment as a file: config.json, saved from the sidebar, opened back in the app or given to the CLI.

The file is Experiment.to_dict() as JSON (export_bundle.config_json writes it, the same file every export ZIP
holds); reading it back is config.from_dict plus the checks a file needs that a preset does not: its size,
its encoding, its JSON, and the edited weights' shapes against the network the other settings describe. A ZIP
the app exported opens too (its config.json). Every problem is a ValueError whose message names the field or
the part of the file at fault. Nothing here draws.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from dashboard.config import Experiment, from_dict

MAX_FILE_MB = 50  # a ZIP exported by the app, PNG, SVG and PDF of every figure included
MAX_CONFIG_MB = 10  # config.json itself: the edited weights of an LSTM at H = 256 take about 5 MB
FIELDS_HINT = 'a JSON object of settings such as {"N": 50, "activation": "tanh", "seed": 0}'


def read(data: bytes, name: str = "config.json") -> Experiment:
    """The Experiment a saved config.json (or an exported ZIP holding one) describes; ValueError naming what is
    wrong with it otherwise."""
    if len(data) > MAX_FILE_MB * 2**20:
        raise ValueError(f"{name} is {len(data) / 2**20:.0f} MB; an experiment file is at most {MAX_FILE_MB} MB.")
    if zipfile.is_zipfile(io.BytesIO(data)):
        data, name = _config_in_zip(data, name)
    if len(data) > MAX_CONFIG_MB * 2**20:
        raise ValueError(f"{name} is {len(data) / 2**20:.0f} MB; a config.json is at most {MAX_CONFIG_MB} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not text (not UTF-8): expected the config.json the app saves, "
                         f"{FIELDS_HINT}.") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    except RecursionError:
        raise ValueError(f"{name} is nested too deeply to be an experiment file.") from None
    if not isinstance(d, dict):
        raise ValueError(f"{name} holds a JSON {type(d).__name__}, not {FIELDS_HINT}.")
    try:
        exp = from_dict(d)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}.") from None
    _check_weights(exp, name)
    return exp


def read_path(path: Path) -> Experiment:
    """read() of a file on disk; a missing or unreadable file is a ValueError too."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_MB * 2**20:  # before reading it all
            raise ValueError(f"{path} is {size / 2**20:.0f} MB; an experiment file is at most {MAX_FILE_MB} MB.")
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    return read(data, str(path))


def _config_in_zip(data: bytes, name: str) -> tuple[bytes, str]:
    """(bytes, name) of the one config.json in a ZIP (an export of the app's: figures, config.json, link.txt)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            found = [i for i in z.infolist() if Path(i.filename).name == "config.json" and not i.is_dir()]
            if len(found) != 1:
                raise ValueError(f"the ZIP {name} holds {'no' if not found else len(found)} config.json "
                                 f"{'file' if not found else 'files'}; open the config.json of one experiment "
                                 "(every ZIP the app exports holds exactly one).")
            info = found[0]
            if info.file_size > MAX_CONFIG_MB * 2**20:  # its unpacked size, before unpacking it
                raise ValueError(f"the config.json in {name} is {info.file_size / 2**20:.0f} MB; a config.json is "
                                 f"at most {MAX_CONFIG_MB} MB.")
            return z.read(info), f"{info.filename} in {name}"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError) as exc:
        raise ValueError(f"the ZIP {name} cannot be unpacked ({exc}).") from None


def _check_weights(exp: Experiment, name: str) -> None:
    """The edited weights fit the network the file's other settings describe (its cell, H and task)."""
    if not exp.weights:
        return
    from dashboard import compute

    try:
        initial = compute.setup(exp.replace(weights="")).params
    except ValueError:  # a setting that cannot run (bce with a linear read-out): the pages say so, as for a link
        return
    try:
        compute.apply_weights(initial, exp.weights, fix="")
    except ValueError as exc:
        raise ValueError(f"{name}: setting weights: {exc}") from None
