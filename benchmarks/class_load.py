"""A class at once: simulated students against one replica or nginx in front of K (deploy/run_local.sh).

Each student is a real Streamlit session: it opens a page (`--page graph`, the link on the slide) with its own
seed (so no two students share a cached computation: the worst case, and every level costs the same per
action however many levels ran before), at N = `--n`, then moves the N slider one step `--moves` times with
`--think` seconds between moves. All `--sessions` students run at once, arriving `--ramp` seconds
apart. Reported per level of concurrency:

    load      the page's first run: from the first HTTP request until the script finished (ws), or until the
              page is at rest with every chart drawn (chromium)
    action    one slider step, until its rerun finished (ws) / the page is at rest with the new N (chromium)
    errors    exceptions on the page, closed websockets, timeouts;  reconnects: websockets reopened
    memory    RSS of the replica processes (found on this machine by their --server.port): before, peak, after
    cpu       CPU seconds of the replicas and of the client itself (for chromium: every browser process), and
              the machine's busy share: which of them saturates the machine; cpu/run: the replicas' CPU seconds
              per script run (a load or a step), from which the cores a whole class keeps busy follow

Clients: `ws` (default) is benchmarks/st_session.py, Streamlit's protobuf protocol over the websocket without a
browser (no JavaScript, no plotly drawing: the server's side of a session); `chromium` drives headless Chromium
(playwright), one browser context per student, as a real class would, at the cost of the browser's CPU.

    python benchmarks/class_load.py --start 2 --sessions 1,2,4,8,16   # starts and stops deploy/run_local.sh 2
    python benchmarks/class_load.py --url http://127.0.0.1:8501 --sessions 1,2,4,8,16
    python benchmarks/class_load.py --url http://127.0.0.1:8501 --sessions 1,3 --client chromium
    python benchmarks/class_load.py --url ... --sessions 4,8,16,24 --json out.json

The last line reports the largest level at which the 95th-percentile action latency stayed under --target
(2 s) with no errors, and what it means per core and for a class of --class-size (200) students.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.st_session import REPLICA_HEADER, Session, SessionError  # noqa: E402

N_LABEL = "Sequence length N"
CLK = os.sysconf("SC_CLK_TCK")


# -- the machine ---------------------------------------------------------------------------------------------------
def _free_run(n: int, avoid: tuple[int, ...] = ()) -> int:
    """A first port p with p .. p+n-1 free on 127.0.0.1 and none of them in avoid."""
    def free(port: int) -> bool:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
        return True

    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        run = range(p, p + n)
        if p + n < 65535 and all(free(q) and q not in avoid for q in run):
            return p
    raise RuntimeError("no run of free ports")


@contextlib.contextmanager
def local_deployment(k: int, run_dir: str | None = None):
    """`deploy/run_local.sh k` on free ports, until it serves; yields (url, replica addresses, process); TERM after."""
    base = _free_run(k)
    port = _free_run(1, avoid=tuple(range(base, base + k)))
    env = {**os.environ, "RNN_LAB_REPLICA_PORT": str(base), **({"RNN_LAB_RUN_DIR": run_dir} if run_dir else {})}
    proc = subprocess.Popen(["bash", str(ROOT / "deploy" / "run_local.sh"), str(k), str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        said = []
        for line in proc.stdout:  # printed once every replica is healthy and nginx has been started
            said.append(line)
            if "open http://" in line:
                break
        else:
            raise RuntimeError(f"run_local.sh exited ({proc.wait()}) before serving:\n{''.join(said[-30:])}")
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 20
        while True:  # until nginx accepts connections
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
        yield url, [f"127.0.0.1:{base + i}" for i in range(k)], proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise


def replica_ports(url: str) -> list[int]:
    """The ports of the replicas behind url: nginx names the one it chose (X-RNN-Lab-Replica) for each cookie
    key; without that header the url is a replica itself."""
    ports = set()
    for i in range(64):
        req = urllib.request.Request(url + "/_stcore/health", headers={"Cookie": f"rnnlab_replica=probe-{i}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            upstream = r.headers.get(REPLICA_HEADER)
        if upstream is None:
            return [urllib.parse.urlsplit(url).port or 80]
        ports.add(int(upstream.rsplit(":", 1)[1]))
    return sorted(ports)


def pids_on_ports(ports: list[int]) -> list[int]:
    """Local `streamlit run ... --server.port P` processes for the given ports (empty if not on this machine)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(argv) and b"--server.port" in argv:
            port = argv[argv.index(b"--server.port") + 1]
            if port.isdigit() and int(port) in ports:
                found.append(int(pid))
    return found


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / CLK


def descendants(pid: int) -> list[int]:
    """pid and every process below it (the client, and for chromium its driver and browser processes)."""
    children: dict[int, list[int]] = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(p))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def client_pids(args) -> list[int]:
    """This process and what it started (for chromium, the browser), but not a deployment it started (--start)."""
    servers = set(descendants(args.deploy_pid)) if args.deploy_pid else set()
    return [p for p in descendants(os.getpid()) if p not in servers]


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of every core so far (/proc/stat)."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


class MemoryWatch(threading.Thread):
    """Samples the replicas' total RSS every 0.5 s; .peak after stop()."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self._done = pids, rss_mb(pids), threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.5):
            self.peak = max(self.peak, rss_mb(self.pids))

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


# -- the students ----------------------------------------------------------------------------------------------------
@dataclass
class Student:
    load: float | None = None
    actions: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0


def first_address(i: int, args) -> tuple[int, str]:
    """Student i's N and query: its own seed, unique over the levels of this run and over runs (--seed-base)."""
    return args.n, f"v=2&N={args.n}&seed={args.seed_base + i}"


async def ws_student(url: str, i: int, args, out: Student) -> None:
    n, query = first_address(i, args)
    s = Session(url, timeout=args.timeout)
    try:
        out.load = await s.open(args.page, query)
        for _ in range(args.moves):
            await asyncio.sleep(args.think)
            n += 1
            try:
                out.actions.append(await s.set_slider(N_LABEL, n))
            except SessionError as e:  # the websocket dropped: reopen it as the browser does, try once more
                out.errors.append(str(e))
                await s.reconnect()
                out.actions.append(await s.set_slider(N_LABEL, n))
        out.errors += s.exceptions
    except (SessionError, OSError, asyncio.TimeoutError) as e:
        out.errors.append(f"{type(e).__name__}: {e}")
    finally:
        out.reconnects = s.reconnects
        await s.close()


async def chromium_student(browser, url: str, i: int, args, out: Student) -> None:
    from tests.browser.conftest import N_SLIDER, SETTLED_JS

    # at rest, the N slider showing n (the address leaves out N at its default)
    at_rest_with = f"""(n) => ({SETTLED_JS})()
        && document.querySelector('{N_SLIDER}').getAttribute('value') === String(n)"""
    n, query = first_address(i, args)
    ctx = await browser.new_context(viewport={"width": 1500, "height": 1400})
    page = await ctx.new_page()
    page.on("websocket", lambda ws: setattr(out, "reconnects", out.reconnects + 1))
    try:
        t0 = time.perf_counter()
        await page.goto(f"{url}/{args.page}?{query}")
        await page.wait_for_function(at_rest_with, arg=n, timeout=args.timeout * 1000)
        out.load = time.perf_counter() - t0
        for _ in range(args.moves):
            await asyncio.sleep(args.think)
            n += 1
            t0 = time.perf_counter()
            await page.locator(N_SLIDER).focus()
            await page.keyboard.press("ArrowRight")
            await page.wait_for_function(at_rest_with, arg=n, timeout=args.timeout * 1000)
            out.actions.append(time.perf_counter() - t0)
        out.errors += [await e.inner_text() for e in await page.query_selector_all('[data-testid="stException"]')]
    except Exception as e:  # noqa: BLE001 - a timeout or a closed page is this student's error, not the run's
        out.errors.append(f"{type(e).__name__}: {str(e)[:200]}")
    finally:
        out.reconnects = max(0, out.reconnects - 1)  # the first websocket is the connection, not a reconnect
        await ctx.close()


async def run_level(url: str, sessions: int, args) -> list[Student]:
    students = [Student() for _ in range(sessions)]

    async def arrive(i, body):
        await asyncio.sleep(i * args.ramp)
        await body(args.students_so_far + i, students[i])

    if args.client == "ws":
        await asyncio.gather(*(arrive(i, lambda i, s: ws_student(url, i, args, s)) for i in range(sessions)))
    else:
        import shutil

        from playwright.async_api import async_playwright

        from tests.browser.conftest import CHROMIUM_FLAGS

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            await asyncio.gather(*(arrive(i, lambda i, s: chromium_student(browser, url, i, args, s))
                                   for i in range(sessions)))
            args.client_cpu = cpu_seconds(client_pids(args))  # the browser's processes, before they exit
            await browser.close()
    args.students_so_far += sessions
    return students


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def measure(url: str, sessions: int, pids: list[int], args) -> dict:
    mem_before, cpu_before, busy0 = rss_mb(pids), cpu_seconds(pids), machine_busy()
    me_before = cpu_seconds(client_pids(args))
    watch = MemoryWatch(pids)
    watch.start()
    t0 = time.perf_counter()
    args.client_cpu = None
    students = asyncio.run(run_level(url, sessions, args))
    wall = time.perf_counter() - t0
    peak = watch.stop()
    busy1 = machine_busy()
    loads = [s.load for s in students if s.load is not None]
    actions = [a for s in students for a in s.actions]
    client_cpu = args.client_cpu if args.client_cpu is not None else cpu_seconds(client_pids(args))
    return {
        "sessions": sessions, "client": args.client, "page": args.page, "wall_s": round(wall, 1),
        "load_median_s": round(statistics.median(loads), 2) if loads else None,
        "load_p95_s": round(pct(loads, 0.95), 2) if loads else None,
        "action_median_s": round(statistics.median(actions), 2) if actions else None,
        "action_p95_s": round(pct(actions, 0.95), 2) if actions else None,
        "actions": len(actions), "actions_expected": sessions * args.moves,
        "errors": sum(len(s.errors) for s in students), "error_examples": [e for s in students for e in s.errors][:3],
        "reconnects": sum(s.reconnects for s in students),
        "replicas_rss_mb": {"before": round(mem_before), "peak": round(peak), "after": round(rss_mb(pids))},
        "replicas_cpu_s": round(cpu_seconds(pids) - cpu_before, 1),
        # CPU seconds of the replicas per script run (page loads and slider steps): the cost of one student's action
        "cpu_per_run_s": round((cpu_seconds(pids) - cpu_before) / max(1, len(actions) + len(loads)), 3) if pids else None,
        "client_cpu_s": round(client_cpu - me_before, 1),
        "machine_busy": round((busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]), 2),
        "loadavg_1min_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a replica (http://127.0.0.1:8501) or nginx in front of K")
    where.add_argument("--start", type=int, metavar="K",
                       help="start deploy/run_local.sh K on free ports for this run (fresh replicas), stop it after")
    ap.add_argument("--sessions", default="1,2,4,8", help="concurrent students, one level or a list: 1,2,4,8")
    ap.add_argument("--client", choices=["ws", "chromium"], default="ws")
    ap.add_argument("--page", default="graph", help="the page the students open (url path)")
    ap.add_argument("--n", type=int, default=20, help="the N every student starts at")
    ap.add_argument("--seed-base", type=int, default=int(time.time()) % 10**6 * 1000,
                    help="student i's seed is seed-base + i (default: from the clock, so a rerun is not cached)")
    ap.add_argument("--moves", type=int, default=5, help="slider steps per student")
    ap.add_argument("--think", type=float, default=1.0, help="seconds between a student's steps")
    ap.add_argument("--ramp", type=float, default=0.1, help="seconds between two students' arrivals")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a load or an action is an error")
    ap.add_argument("--target", type=float, default=2.0, help="the 95th-percentile action latency to stay under")
    ap.add_argument("--class-size", type=int, default=200)
    ap.add_argument("--json", help="also write every level's numbers to this file")
    args = ap.parse_args()
    args.students_so_far, args.deploy_pid = 0, None
    if args.start:
        with local_deployment(args.start) as (url, _, proc):
            args.deploy_pid = proc.pid
            run(url, args)
    else:
        run(args.url.rstrip("/"), args)


def run(url: str, args) -> None:
    levels = [int(x) for x in args.sessions.split(",")]

    ports = replica_ports(url)
    pids = pids_on_ports(ports)
    cores = os.cpu_count()
    print(f"{url}: {len(ports)} replica(s) on ports {ports}, {len(pids)} found on this machine; {cores} cores; "
          f"client {args.client}; load average before {os.getloadavg()[0]:.2f}", flush=True)
    print(f"{'sessions':>8} {'load med':>8} {'load p95':>8} {'act med':>7} {'act p95':>7} {'done':>7} {'err':>3} "
          f"{'reconn':>6} {'RSS MB before/peak/after':>24} {'cpu repl':>8} {'cpu client':>10} {'busy':>5} "
          f"{'cpu/run':>7}", flush=True)
    rows = []
    for n in levels:
        r = measure(url, n, pids, args)
        rows.append(r)
        mem = r["replicas_rss_mb"]
        print(f"{n:>8} {r['load_median_s']!s:>8} {r['load_p95_s']!s:>8} {r['action_median_s']!s:>7} "
              f"{r['action_p95_s']!s:>7} {r['actions']:>3}/{r['actions_expected']:<3} {r['errors']:>3} {r['reconnects']:>6} "
              f"{mem['before']:>8}/{mem['peak']}/{mem['after']:<8} {r['replicas_cpu_s']:>8} {r['client_cpu_s']:>10} "
              f"{r['machine_busy']:>5} {r['cpu_per_run_s']!s:>7}", flush=True)
        for e in r["error_examples"]:
            print(f"         error: {e[:160]}", flush=True)
    ok = [r["sessions"] for r in rows if r["errors"] == 0 and r["actions"] == r["actions_expected"]
          and r["action_p95_s"] is not None and r["action_p95_s"] < args.target]
    if ok:
        best = max(ok)
        per_core = best / cores
        print(f"== largest level with p95 action < {args.target:g} s and no errors: {best} sessions "
              f"({per_core:.1f} per core, {len(ports)} replica(s), {cores} cores): a class of {args.class_size} needs "
              f"about {args.class_size / per_core:.0f} such cores (load average now {os.getloadavg()[0]:.2f})")
        cost = [r["cpu_per_run_s"] for r in rows if r["sessions"] in ok and r["cpu_per_run_s"]]
        if cost:
            c = statistics.median(cost)
            print(f"   the replicas' CPU per run: {c:.3f} s (median over those levels): {args.class_size} students "
                  f"each moving a slider every {args.think:g} s keep about {args.class_size * c / args.think:.1f} "
                  f"cores busy (every 5 s: {args.class_size * c / 5:.1f})")
    else:
        print(f"== no level kept the p95 action under {args.target:g} s without errors")
    if args.json:
        options = {k: v for k, v in vars(args).items() if k not in ("client_cpu", "students_so_far", "deploy_pid")}
        Path(args.json).write_text(json.dumps({"url": url, "replica_ports": ports, "cores": cores, "args": options,
                                               "levels": rows}, indent=1))


if __name__ == "__main__":
    main()
