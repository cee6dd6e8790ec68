"""deploy/run_local.sh 2: two `streamlit run` replicas behind nginx; a session stays on its replica.

Each session is a real Streamlit session (benchmarks/st_session.py speaks the browser's protobuf protocol over
the websocket): it opens the graph page, moves the N slider twice, drops its websocket and reconnects, opens
the gradients page, and uploads and downloads (the gradient log's CSV, /media/...) through nginx. Two sessions
whose cookies hash to different replicas each keep theirs; the same upload or download sent with the other
session's cookie reaches the other replica and is refused, which is why every request of a browser must stick.
Fails, never skips, without nginx.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import urllib.request

import pytest

from benchmarks.class_load import local_deployment
from benchmarks.st_session import REPLICA_HEADER, Session

COOKIE = "rnnlab_replica"  # deploy/rnn_lab.conf.template


def _replica_of(base: str, key: str) -> str:
    req = urllib.request.Request(base + "/_stcore/health", headers={"Cookie": f"{COOKIE}={key}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers.get("Set-Cookie", "").find(COOKIE) < 0, "nginx re-set a cookie the browser already has"
        return r.headers[REPLICA_HEADER]


@pytest.fixture
def two_replicas(tmp_path):
    if shutil.which("nginx") is None and not os.access("/usr/sbin/nginx", os.X_OK):
        pytest.fail("Debian's nginx is not installed (apt-get install nginx): the deployment cannot be tested.")
    with local_deployment(2, str(tmp_path)) as deployment:
        yield deployment


async def _student(url: str, key: str, last_n: int) -> dict:
    s = Session(url, cookies={COOKIE: key}, timeout=60)
    await s.open("graph", "v=2")
    seen = {"first": s.ws_replica, "session": s.session_id}
    for n in (20, 25):
        await s.set_slider("Sequence length N", n)
    await s.reconnect()  # a dropped websocket, as after a laptop's Wi-Fi hiccup
    await s.set_slider("Sequence length N", last_n)  # two sessions, two experiments: two different CSV files
    await s.switch("gradients")
    seen.update(after_reconnect=s.ws_replica, session_after=s.session_id, query=s.query, errors=s.exceptions,
                media=await s.file_url("Download the gradient log (CSV)"), tab=s)
    return seen


def _check_files(url: str, a: dict, b: dict) -> None:
    """An upload and a download live in the memory of the replica that holds the session."""
    for mine, other in ((a, b), (b, a)):
        tab = mine["tab"]
        wrong = Session(url, cookies={**tab.cookies, COOKIE: other["tab"].cookies[COOKIE]})
        upload = f"/_stcore/upload_file/{mine['session']}/smoke-file"
        csv = b"a,label\n" + b"0.5,1\n" * 20_000  # 120 kB: more than nginx keeps in memory, so it buffers to disk
        assert tab.put_file(upload, "x.csv", csv) == 204 and tab.replica == mine["first"]
        assert wrong.put_file(upload, "x.csv", csv) == 400  # the other replica has no such session
        assert tab.request(mine["media"])[0] == 200 and tab.replica == mine["first"]
        assert wrong.request(mine["media"])[0] == 404


def test_two_sessions_each_keep_their_replica(two_replicas):
    url, replicas, proc = two_replicas
    # a new browser gets its cookie once, on its first response
    with urllib.request.urlopen(url + "/graph", timeout=10) as r:
        assert any(c.startswith(COOKIE + "=") for c in r.headers.get_all("Set-Cookie"))
    # cookie values that hash to one replica and to the other (deterministic: the hash of the key and ports)
    keys: dict[str, str] = {}
    for i in range(64):
        keys.setdefault(_replica_of(url, f"student-{i}"), f"student-{i}")
        if len(keys) == 2:
            break
    assert sorted(keys) == replicas, f"64 keys all hashed to {sorted(keys)}"

    async def both():
        seen = await asyncio.gather(*(_student(url, keys[r], 26 + i) for i, r in enumerate(replicas)))
        _check_files(url, *seen)  # while the sessions are open
        await asyncio.gather(*(x["tab"].close() for x in seen))
        return seen

    a, b = asyncio.run(both())
    for i, (seen, replica) in enumerate(((a, replicas[0]), (b, replicas[1]))):
        assert seen["first"] == seen["after_reconnect"] == replica
        assert seen["session"] == seen["session_after"], "the reconnected websocket got a new session"
        assert f"N={26 + i}" in seen["query"].split("&") and not seen["errors"]
    assert a["session"] != b["session"]

    # Ctrl-C / TERM stops nginx and both replicas
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    for hostport in replicas + [url.removeprefix("http://")]:
        host, port = hostport.split(":")
        with socket.socket() as s, pytest.raises(ConnectionRefusedError):
            s.connect((host, int(port)))  # nothing listens any more
