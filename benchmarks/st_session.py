"""One student's browser as Streamlit's server sees it, without a browser: a lightweight client.

Streamlit's browser protocol is protobuf over the websocket /_stcore/stream. A page load here does what the
browser does against the server: GET the page (HTML; behind nginx this request gets the replica cookie),
GET /_stcore/health (sets the `_streamlit_xsrf` cookie) and /_stcore/host-config, open the websocket with
subprotocols ["streamlit", <xsrf token>] and the cookies, then send a `rerun_script` BackMsg (query string,
page name, widget states) and read ForwardMsgs until `script_finished`. Moving a slider is a rerun_script
with the slider's new value (a double array, as the browser sends it) and the URL query updated for a
widget bound to the query. It does not run JavaScript, draw plotly charts or fetch the app's static files:
what it measures is the server's side of a session (its script runs and the messages it sends).

    s = Session("http://127.0.0.1:8501")
    await s.open("graph", "v=2")              # seconds until the first run finished
    await s.set_slider("Sequence length N", 40)
    s.replica, s.session_id, s.exceptions     # X-RNN-Lab-Replica behind deploy/'s nginx, else None
"""
from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

XSRF_COOKIE = "_streamlit_xsrf"
REPLICA_HEADER = "X-RNN-Lab-Replica"  # added by deploy/rnn_lab.conf.template
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


class SessionError(RuntimeError):
    """The server closed the session, refused it, or a run did not finish in time."""


class Session:
    """One browser tab: its cookies, its websocket, the widgets it has seen and the states it has set."""

    def __init__(self, base_url: str, cookies: dict[str, str] | None = None, timeout: float = 300.0):
        self.base = base_url.rstrip("/")
        self.cookies = dict(cookies or {})
        self.timeout = timeout
        self.ws = None
        self.page = ""
        self.query = ""
        self.session_id: str | None = None
        self.replica: str | None = None  # the replica that answered the last HTTP request (nginx's header)
        self.ws_replica: str | None = None  # the replica that accepted the websocket
        self.widgets: dict[str, object] = {}  # label -> the widget's proto (from the last run's deltas)
        self.states: dict[str, object] = {}  # widget id -> WidgetState set by this client
        self.downloads: dict[str, object] = {}  # download button label -> its proto (url, or deferred_file_id)
        self._files: dict[str, str] = {}  # request id -> the /media/... URL the server answered
        self.exceptions: list[str] = []  # st.exception elements the server sent
        self.reconnects = 0

    # -- HTTP, as the browser's first requests --------------------------------------------------------------
    def request(self, path: str, data: bytes | None = None, method: str = "GET", headers: dict | None = None):
        """An HTTP request with this tab's cookies, keeping the cookies it sets; (status, body)."""
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Cookie": self._cookie_header(), **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                status, body, got = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, body, got = e.code, e.read(), e.headers
        self._take_cookies(got.get_all("Set-Cookie") or [])
        self.replica = got.get(REPLICA_HEADER)
        return status, body

    def _get(self, path: str) -> None:
        status, body = self.request(path)
        if status != 200:
            raise SessionError(f"GET {path}: {status} {body[:200]!r}")

    def put_file(self, url_path: str, name: str, data: bytes) -> int:
        """PUT one file as the browser's st.file_uploader does (multipart, X-Xsrftoken); the HTTP status."""
        boundary = "rnnlabboundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request(url_path, body, "PUT", {
            "X-Xsrftoken": self.cookies.get(XSRF_COOKIE, ""), "Origin": self.base,
            "Content-Type": f"multipart/form-data; boundary={boundary}"})[0]

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _take_cookies(self, set_cookies: list[str]) -> None:
        for line in set_cookies:
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0].strip()  # raw: Streamlit's xsrf value holds '|'

    # -- the session ------------------------------------------------------------------------------------------
    async def open(self, page: str = "", query: str = "") -> float:
        """Load /page?query as a new tab; seconds until its first script run finished."""
        t0 = time.perf_counter()
        self.page, self.query = page, query
        await asyncio.to_thread(self._get, f"/{page}" + (f"?{query}" if query else ""))
        await self._connect()
        await self._rerun()
        return time.perf_counter() - t0

    async def _connect(self) -> None:
        await asyncio.to_thread(self._get, "/_stcore/health")
        await asyncio.to_thread(self._get, "/_stcore/host-config")
        ws_url = "ws" + self.base[len("http"):] + "/_stcore/stream"
        protocols = ["streamlit", self.cookies.get(XSRF_COOKIE, "")] + ([self.session_id] if self.session_id else [])
        self.ws = await websockets.connect(
            ws_url, subprotocols=protocols, origin=self.base, additional_headers={"Cookie": self._cookie_header()},
            max_size=None, open_timeout=self.timeout, ping_interval=None)
        self.ws_replica = self.ws.response.headers.get(REPLICA_HEADER)

    async def reconnect(self) -> None:
        """A dropped websocket, reopened as the browser does (same cookies, its session id as the third entry)."""
        if self.ws is not None:
            await self.ws.close()
        self.reconnects += 1
        await self._connect()

    async def set_slider(self, label: str, value: float) -> float:
        """Move the slider labelled `label` to value; seconds until the rerun finished."""
        slider = self.widgets.get(label)
        if slider is None:
            raise SessionError(f"no slider labelled {label!r} on /{self.page}; seen: {sorted(self.widgets)}")
        state = self.states.setdefault(slider.id, WidgetState(id=slider.id))
        state.double_array_value.data[:] = [float(value)]
        if slider.query_param_key:  # the browser rewrites its address for a widget bound to the query
            q = dict(urllib.parse.parse_qsl(self.query, keep_blank_values=True))
            q[slider.query_param_key] = f"{value:g}"
            self.query = urllib.parse.urlencode(q)
        t0 = time.perf_counter()
        await self._rerun()
        return time.perf_counter() - t0

    async def _rerun(self) -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_name = self.page
        cs.widget_states.widgets.extend(self.states.values())
        await self.ws.send(msg.SerializeToString())
        await asyncio.wait_for(self._until_finished(), self.timeout)

    async def switch(self, page: str) -> float:
        """Open another page of the app in this session (a click on its link); seconds until it finished."""
        self.page = page
        t0 = time.perf_counter()
        await self._rerun()
        return time.perf_counter() - t0

    async def file_url(self, label: str) -> str:
        """The /media/... URL of the download button labelled `label` (a click: a deferred file is made now)."""
        button = self.downloads[label]
        if button.url:
            return button.url
        msg = BackMsg()
        req = msg.backend_operation_request
        req.request_id, req.session_id = uuid.uuid4().hex, self.session_id
        req.deferred_file.file_id = button.deferred_file_id
        await self.ws.send(msg.SerializeToString())
        await asyncio.wait_for(self._until_finished(until_response=req.request_id), self.timeout)
        url = self._files.pop(req.request_id)
        if not url.startswith("/"):
            raise SessionError(f"{label!r}: {url}")
        return url

    async def _until_finished(self, until_response: str | None = None) -> None:
        while True:
            try:
                raw = await self.ws.recv()
            except websockets.ConnectionClosed as e:
                raise SessionError(f"the server closed the websocket ({e})") from e
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id
            elif kind == "page_info_changed":
                self.query = fm.page_info_changed.query_string
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                what = el.WhichOneof("type")
                if what == "exception":
                    self.exceptions.append(f"{el.exception.type}: {el.exception.message}")
                elif what == "download_button":
                    self.downloads[el.download_button.label] = el.download_button
                if what is not None and hasattr(getattr(el, what), "label") and hasattr(getattr(el, what), "id"):
                    self.widgets[getattr(el, what).label] = getattr(el, what)
            elif kind == "backend_operation_response":
                r = fm.backend_operation_response
                self._files[r.request_id] = r.deferred_file.url or f"error: {r.error_msg}"
                if r.request_id == until_response:
                    return
            elif kind == "script_finished" and fm.script_finished in FINISHED and until_response is None:
                return

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
