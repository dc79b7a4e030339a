"""A class against a real server: N browser-like sessions over Streamlit's own websocket.

    python -m bench.load --start-server --sessions 10 --seconds 60
    python -m bench.load --start-server --box 1024,1 --sessions 10    # a 1 GB, 1-CPU host
    python -m bench.load --workers 2 --sessions 8,16,24 --seconds 60   # through the proxy
    python -m bench.load --url http://127.0.0.1:8501 --pid 1234
    python -m bench.load --box 1024,2 --heavy-training 3 --sessions 30   # a memory ceiling
    python -m bench.load --start-server --burst --sessions 20 --seconds 20   # a cold start
    python -m bench.load --start-server --live-columns 3 --sessions 30   # columns training

Each session does what a browser does: GET / and /_stcore/health (the proxy's stickiness
cookie, Streamlit's XSRF cookie), opens /_stcore/stream with those cookies and the XSRF
token, sends a rerun_script BackMsg with its URL (query string and the page's hash) and
reads ForwardMsgs until script_finished. Then every ~interval seconds (jittered ±50%) it
moves to a new view, as a student dragging sliders and clicking pages does: depth 2-60,
Var(W) among the app's steps in 0.001..1, an activation, any page, sent as the widgets'
new states plus the page's hash and URL. Per rerun it times the wait for script_finished,
checks that the server ran the page asked for (and any URL it writes back holds the
values), fetches the CSV download over plain HTTP with the session's cookies (its
"# depth=" line must be the view's: the new widget states were taken), and counts errors:
exception elements, disconnects (the session reconnects with its URL, as a browser does),
timeouts, wrong views, failed downloads. With the server's pid (started here, or --pid),
its resident memory and CPU time, with its compute processes' (ui.compute), are sampled
every second.

--start-server starts the app as `make run` does (its command line, this environment
untouched: the app sets its own threads, ui.cpus). --box MEM_MB,CPUS starts it in a
fresh cgroup with that memory limit and CPU quota (bench.box), as a hosted container
would be, and reports the box's OOM kills, its peak memory and whether the server
survived beside the latencies.

--visit LINK (repeatable) and --heavy-training N (the Training page's heaviest link,
HEAVY_TRAINING, seeds 1..N) open those links first, each in a session of its own that
stays on it while the class runs: each visit's time to script_finished, and whether its
page ran in full to its end (`Visit.done`), are reported; the server's own RSS and its
compute processes' are reported apart, over time. --burst opens every session at once
on a server no page was opened on (no warm-up): a class opening the link together.

--sessions takes a list: one run per class size, on the same server; the report names the
largest size whose rerun p95 stayed within --target-p95 with no errors. Loopback only
(--url must be 127.0.0.1/localhost), bounded in sessions and seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import http.cookies
import json
import os
import random
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.util import calc_hash
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from ui.controls import BY_KEY, WEIGHT_VARS
from ui.pages import PAGES as ALL_PAGES

# The pages a student moves between with sliders. Training runs for seconds by design and
# one chunk at a time across the server (views/training.py); a class training at once is
# a different load, left out of this one; so is the Lessons page, which a class follows
# step by step behind its teacher.
PAGES = [p for p in ALL_PAGES if p.url_path not in ("training", "lessons")]

ACTIVATIONS = ("tanh", "relu", "linear", "gelu", "sigmoid")
STEP_VARS = tuple(w for w in WEIGHT_VARS if 0.001 <= w <= 1)
DEPTHS = (2, 60)
MAX_SESSIONS = 200
MAX_SECONDS = 900
MAX_VISITS = 20
RUN_TIMEOUT = 60.0          # a rerun slower than this counts as a timeout
DRAIN_SECONDS = 0.05        # how long a session listens for runs it did not ask for
HTTP = ThreadPoolExecutor(max_workers=64, thread_name_prefix="load-http")
FINISHED = ForwardMsg.ScriptFinishedStatus
VISIT_TIMEOUT = 300.0       # a heavy link given more time than a rerun (--visit-timeout)
BUSY_WORDS = "The server is busy"   # how a page's notes say so (ui.labels, ui.compute)


# -- what a student asks for --------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """A page and the sidebar values that differ from the defaults, in their URL form;
    `press`: the key of a button a visit presses once the page has run (ui.live_column's
    Start)."""
    page: str
    values: tuple[tuple[str, str], ...] = ()
    press: str = field(default="", repr=False)

    @property
    def query(self) -> str:
        return urllib.parse.urlencode(self.values)

    @property
    def page_hash(self) -> str:
        return calc_hash(self.page)

    @classmethod
    def from_link(cls, link: str) -> View:
        """A link's page and query ('/training?depth=200&seed=1', or a full URL).

        >>> View.from_link("/training?depth=200&seed=1")
        View(page='training', values=(('depth', '200'), ('seed', '1')))
        >>> View.from_link("/nowhere")
        Traceback (most recent call last):
        ...
        ValueError: no page 'nowhere' (pages: variance, saturation, dead_neurons, ...)
        """
        parts = urllib.parse.urlsplit(link)
        page = parts.path.strip("/") or ALL_PAGES[0].url_path
        names = [p.url_path for p in ALL_PAGES]
        if page not in names:
            raise ValueError(f"no page {page!r} (pages: {', '.join(names[:3])}, ...)")
        return cls(page, tuple(urllib.parse.parse_qsl(parts.query)))


def random_view(rng: random.Random) -> View:
    """A new view, as a student picks one: any page, depth, Var(W) step, activation.

    >>> v = random_view(random.Random(0))
    >>> dict(v.values)["activation"] in ACTIVATIONS, v.page in [p.url_path for p in PAGES]
    (True, True)
    """
    values = (("depth", str(rng.randint(*DEPTHS))),
              ("weight_var", BY_KEY["weight_var"].fmt(rng.choice(STEP_VARS))),
              ("activation", rng.choice(ACTIVATIONS)))
    return View(rng.choice(PAGES).url_path, values)


# The heaviest link the Training page takes: four runs of a 200-layer network, 256 wide,
# at batch 256, for 20,000 steps (the page's budget trains it smaller: it says how).
HEAVY_TRAINING = ("/training?activation=tanh&weight_var=0.01&depth=200&width=256&seed={seed}"
                  "&train_batch=256&train_compare=true&train_norm=true&train_steps=20000")


def live_columns(n: int) -> list[View]:
    """n visitors who each train their own trainability column on the Depth scales page
    (ui.live_column), at n different sigma_w^2 inside the grid (width 100).

    >>> [dict(v.values)["weight_var"] for v in live_columns(3)], live_columns(1)[0].press
    (['0.00631', '0.01585', '0.03548'], 'depth_column_train')
    """
    from ui import live_column
    steps = [w for w in STEP_VARS if 0.6 <= 100 * w <= 3.6]
    if not 0 <= n <= len(steps):
        raise ValueError(f"at most {len(steps)} live columns")
    picked = [steps[round(i * (len(steps) - 1) / max(n - 1, 1))] for i in range(n)]
    return [View("depth_scales", (("depth_view", "Trainability"), ("activation", "tanh"),
                                  ("bias_var", "0.05"),
                                  ("weight_var", BY_KEY["weight_var"].fmt(w))),
                 press=live_column.START) for w in picked]


def heavy_training(n: int) -> list[View]:
    """n copies of HEAVY_TRAINING, seeds 1..n (no two share a cached run).

    >>> [dict(v.values)["seed"] for v in heavy_training(3)]
    ['1', '2', '3']
    """
    return [View.from_link(HEAVY_TRAINING.format(seed=seed)) for seed in range(1, n + 1)]


def widget_state(widget, kind: str, text: str):
    """The WidgetState a browser sends for a widget set to `text` (its URL form).

    Sliders send numbers, select sliders and select boxes their options' shown text
    (which the app also uses as the URL form, ui.controls.Control.fmt)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    state = WidgetState(id=widget.id)
    if kind == "slider" and len(widget.options) == 0:
        state.double_array_value.data[:] = [float(text)]
    elif kind == "slider":
        state.string_array_value.data[:] = [text]
    else:
        state.string_value = text
    return state


def _trigger(widget_id: str):
    """The WidgetState a browser sends for a pressed button."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    return WidgetState(id=widget_id, trigger_value=True)


# -- one run's outcome ----------------------------------------------------------------------

@dataclass
class Run:
    latency: float = 0.0
    exceptions: int = 0
    status: str = ""
    query: str | None = None            # the URL the server reported, if it changed it
    page_hash: str = ""
    downloads: list[str] = field(default_factory=list)
    fingerprint: str = ""               # hash of every chart's figure, in order
    progress: float | None = None       # the last progress bar's value (0..1) sent
    progress_text: str = ""             # and its words ("Step 40 of 100")
    progress_bars: set = field(default_factory=set)    # where one shows at the end
    light: bool = False                 # run light: the page will catch up (ui.shell)
    busy_notes: int = 0                 # notes that say the server is busy
    busy_left: set = field(default_factory=set)     # where a busy spinner still shows


class Session:
    """One browser tab: cookies, one websocket, the view it shows."""

    def __init__(self, base: str, name: str = ""):
        self.base = base.rstrip("/")
        self.name = name
        self.cookies: dict[str, str] = {}
        self.ws = None
        self.session_id = ""
        self.widgets: dict[str, tuple[object, str]] = {}    # URL key -> (proto, kind)
        self.buttons: dict[str, str] = {}                   # element id -> its key
        self.view: View | None = None
        self.last: Run | None = None
        self._partial: tuple[Run, object] | None = None     # the run being read
        self.script_running = False     # the server said a script of this session runs

    # -- HTTP, with the session's cookies (the proxy routes by them)

    def _take_cookies(self, headers) -> None:
        for raw in headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(raw)
            self.cookies.update({k: m.value for k, m in jar.items()})

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _get_sync(self, path: str, timeout: float) -> tuple[int, bytes]:
        req = urllib.request.Request(self.base + path, headers={"Cookie": self._cookie_header()})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                self._take_cookies(resp.headers)
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    async def get(self, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
        return await asyncio.get_running_loop().run_in_executor(
            HTTP, self._get_sync, path, timeout)

    @property
    def worker(self) -> str:
        """The worker the proxy pinned this session to ('' without a proxy)."""
        return self.cookies.get("SERVERID", "")

    # -- the websocket

    async def connect(self, view: View, timeout: float = RUN_TIMEOUT) -> Run:
        """Open the page at `view` as a browser does; the first run's outcome."""
        path = f"/{view.page}" + (f"?{view.query}" if view.values else "")
        status, _ = await self.get(path)
        if status != 200:
            raise ConnectionError(f"GET {path}: HTTP {status}")
        await self.get("/_stcore/health")            # sets Streamlit's XSRF cookie
        await self._open_ws()
        return await self.rerun(view, widgets=False, timeout=timeout)

    async def _open_ws(self) -> None:
        ws_url = "ws" + self.base[len("http"):] + "/_stcore/stream"
        # The frontend passes the XSRF token, and on reconnection its old session id,
        # in the subprotocol list; the first entry is the protocol itself.
        protocols = ["streamlit", self.cookies.get("_streamlit_xsrf", "")]
        if self.session_id:
            protocols.append(self.session_id)
        self.ws = await connect(ws_url, subprotocols=[p for p in protocols if p] or None,
                                origin=self.base, max_size=None, open_timeout=30,
                                additional_headers={"Cookie": self._cookie_header()})
        self._take_cookies(self.ws.response.headers)   # a redispatch re-pins the session

    async def reconnect(self) -> Run:
        """After a lost connection: a new websocket with the same cookies and URL (the
        proxy sends it to a live worker), then the view again, widgets included."""
        await self.close()
        await self.get("/_stcore/health")
        await self._open_ws()
        return await self.rerun(self.view, widgets=True)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        self.ws = None

    async def rerun(self, view: View, widgets: bool = True,
                    timeout: float = RUN_TIMEOUT, states: list | None = None) -> Run:
        """Ask for `view` and read until script_finished. With `widgets`, the changed
        widgets' states are sent (a slider moved), or `states` if given (a button
        pressed); the URL and the page's hash always."""
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = view.query
        cs.page_script_hash = view.page_hash
        if widgets:
            if states is None:
                states = [widget_state(*self.widgets[key], text) for key, text in view.values
                          if key in self.widgets]
            cs.widget_states.CopyFrom(WidgetStates(widgets=states))
        await self.drain()
        self.view = view
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = await asyncio.wait_for(self._read_run(), timeout)
        run.latency = time.perf_counter() - start
        self.last = run
        return run

    async def press(self, key: str, timeout: float = RUN_TIMEOUT) -> Run:
        """Press the button keyed `key` on the page shown, as a browser does (its trigger,
        the URL and the page's hash), and read until script_finished."""
        ids = [i for i, k in self.buttons.items() if k == key]
        if not ids:
            raise LookupError(f"no button {key!r} on {self.view.page}")
        return await self.rerun(self.view, timeout=timeout, states=[_trigger(ids[-1])])

    async def drain(self) -> None:
        """Read what the server sent since the last run: a view run light while the server
        was busy is run again in full once it is not (ui.shell's catch-up), and that run
        replaces the page's elements, its download link included (the old one then
        answers 404). A browser's button follows at once; so does this session: the
        catch-up becomes `last`, so the next download fetches the link the page shows
        now, and its messages are not mistaken for those of the next rerun asked for.
        A catch-up that has started is read to its end: while it runs, the page shows
        the old button greyed out, and a student clicks the one it then shows."""
        while True:
            try:
                wait = RUN_TIMEOUT if self.script_running else DRAIN_SECONDS
                run = await asyncio.wait_for(self._read_run(), wait)
            except asyncio.TimeoutError:
                return                              # nothing more; a partial run is kept
            run.latency = self.last.latency if self.last is not None else 0.0
            self.last = run

    async def _read_run(self) -> Run:
        """Messages until a full run's script_finished; resumable (`drain` may stop it
        between two messages: what was read stays in `_partial`)."""
        while True:
            run = self._take(await self.ws.recv())
            if run is not None:
                return run

    def _take(self, raw: bytes) -> Run | None:
        """One message into the run being read; that run, once its script finished."""
        if self._partial is None:
            self._partial = (Run(), hashlib.sha256())
        run, figures = self._partial
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        kind = fm.WhichOneof("type")
        if kind == "new_session":
            self.session_id = fm.new_session.initialize.session_id or self.session_id
        elif kind == "session_status_changed":
            self.script_running = fm.session_status_changed.script_is_running
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            self._element(fm.delta.new_element, run, figures)
            # a progress bar replaced (emptied) at its place, or inside a container
            # emptied at its place, is gone from the page
            where = tuple(fm.metadata.delta_path)
            run.progress_bars = {b for b in run.progress_bars if b[:len(where)] != where}
            if fm.delta.new_element.WhichOneof("type") == "progress":
                run.progress_bars.add(where)
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_transient":
            # spinners at a place: ui.compute's note while a setting waits for a slot
            # among them, until the list at that place comes again without it
            where = tuple(fm.metadata.delta_path)
            if any(BUSY_WORDS in e.spinner.text for e in fm.delta.new_transient.elements):
                run.busy_notes += where not in run.busy_left
                run.busy_left.add(where)
            else:
                run.busy_left.discard(where)
        elif kind == "page_info_changed":
            run.query = fm.page_info_changed.query_string
        elif kind == "auto_rerun":          # a timer registered: ui.shell's catch-up
            run.light = True
        elif kind == "navigation":
            run.page_hash = fm.navigation.page_script_hash
        elif kind == "script_finished":
            self.script_running = False
            # a rerun the app asked for follows; a fragment's run (the catch-up's timer)
            # is not the page's
            if fm.script_finished in (FINISHED.FINISHED_EARLY_FOR_RERUN,
                                      FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                return None
            run.status = FINISHED.Name(fm.script_finished)
            run.fingerprint = figures.hexdigest()[:16]
            self._partial = None
            return run
        return None

    def _element(self, el, run: Run, figures) -> None:
        kind = el.WhichOneof("type")
        if kind == "exception":
            run.exceptions += 1
        elif kind in ("slider", "selectbox"):
            proto = getattr(el, kind)
            if proto.query_param_key:
                self.widgets[proto.query_param_key] = (proto, kind)
        elif kind == "button":
            self.buttons[el.button.id] = el.button.id.rsplit("-", 1)[-1]
        elif kind == "download_button" and el.download_button.url:
            run.downloads.append(el.download_button.url)
        elif kind == "plotly_chart":
            figures.update(el.plotly_chart.spec.encode())
        elif kind == "progress":
            run.progress, run.progress_text = el.progress.value / 100, el.progress.text
        elif kind == "alert" and BUSY_WORDS in el.alert.body:
            run.busy_notes += 1

    def shows(self, run: Run, view: View) -> str | None:
        """Why `run` does not show `view`, or None: the page the server ran and the
        URL it reports (unchanged when it reports none) must be the ones asked for."""
        if run.status != "FINISHED_SUCCESSFULLY":
            return f"script {run.status}"
        if run.page_hash and run.page_hash != view.page_hash:
            return f"ran another page than {view.page}"
        if run.query is not None:
            got = dict(urllib.parse.parse_qsl(run.query))
            # a value at its default is left out of the URL
            shown = {k: got.get(k, BY_KEY[k].fmt(BY_KEY[k].default)) for k, _ in view.values}
            wrong = {k: shown[k] for k, v in view.values if shown[k] != v}
            if wrong:
                return f"URL has {wrong}, asked {dict(view.values)}"
        return None

    async def download(self, run: Run, view: View) -> str | None:
        """Fetch the run's CSV over plain HTTP with the session's cookies; why it failed,
        or None. Its comment lines name the settings: they must be this view's."""
        if not run.downloads:
            return None
        status, body = await self.get(run.downloads[0])
        if status != 200:
            return f"download HTTP {status} (worker {self.worker or '-'})"
        depth = dict(view.values).get("depth")
        if depth and f"# depth={depth}\n" not in body.decode(errors="replace"):
            return f"download is not this view's (depth {depth})"
        return None


# -- the class --------------------------------------------------------------------------------

@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)     # reruns after the first load
    first_loads: list[float] = field(default_factory=list)
    exceptions: int = 0
    disconnects: int = 0
    timeouts: int = 0
    wrong_views: int = 0
    downloads: int = 0
    download_errors: int = 0
    connect_errors: int = 0
    busy_notes: int = 0             # runs whose page said the server is busy
    light_runs: int = 0             # runs light for a busy server (caught up later)
    notes: list[str] = field(default_factory=list)
    workers: dict[str, int] = field(default_factory=dict)      # sessions per worker

    @property
    def errors(self) -> int:
        return (self.exceptions + self.disconnects + self.timeouts + self.wrong_views
                + self.download_errors + self.connect_errors)

    def note(self, text: str) -> None:
        if len(self.notes) < 20:
            self.notes.append(text)

    def check(self, s: Session, run: Run, view: View) -> None:
        self.exceptions += run.exceptions
        self.busy_notes += bool(run.busy_notes)
        self.light_runs += run.light
        why = s.shows(run, view)
        if why:
            self.wrong_views += 1
            self.note(f"{s.name}: {why}")


async def student(s: Session, tally: Tally, rng: random.Random, stop_at: float,
                  interval: float, downloads: bool, first: View | None = None) -> None:
    """One session: open a view, then a new one every ~interval s until stop_at."""
    view = first or random_view(rng)
    try:
        run = await s.connect(view)
    except (OSError, InvalidHandshake, ConnectionClosed, asyncio.TimeoutError) as exc:
        tally.connect_errors += 1
        tally.note(f"{s.name}: connect: {exc!r}")
        return
    tally.first_loads.append(run.latency)
    tally.check(s, run, view)
    tally.workers[s.worker] = tally.workers.get(s.worker, 0) + 1
    try:
        while True:
            if downloads and s.last is not None:
                await _download(s, tally)
            pause = interval * rng.uniform(0.5, 1.5)
            if time.monotonic() + pause >= stop_at:
                break
            await asyncio.sleep(pause)
            view = random_view(rng)
            try:
                run = await s.rerun(view)
            except ConnectionClosed as exc:
                tally.disconnects += 1
                tally.note(f"{s.name}: disconnected ({exc.rcvd}); reconnecting")
                run = await s.reconnect()
                tally.check(s, run, view)
                continue
            except asyncio.TimeoutError:
                tally.timeouts += 1
                tally.note(f"{s.name}: no script_finished within {RUN_TIMEOUT:.0f} s")
                run = await s.reconnect()
                continue
            tally.latencies.append(run.latency)
            tally.check(s, run, view)
    except (ConnectionClosed, OSError, InvalidHandshake, asyncio.TimeoutError) as exc:
        tally.disconnects += 1
        tally.note(f"{s.name}: lost for good: {exc!r}")
    finally:
        await s.close()


@dataclass
class Visit:
    """One given link opened in its own session, which stays on it while the class runs."""
    link: str
    seconds: float | None = None        # to the first script_finished
    done_seconds: float | None = None   # to the script_finished of its full run, done
    status: str = ""
    progress: float | None = None       # the last progress value the full run sent
    progress_text: str = ""
    progress_left: bool = False         # a progress bar still shown when it finished
    light_runs: int = 0                 # runs light first (the server busy), caught up
    busy_notes: int = 0
    exceptions: int = 0
    error: str = ""

    @property
    def done(self) -> bool:
        """The page ran in full to its end: finished with no exception, not light, and
        no progress bar left on it (the Training page removes its bar once every run
        has stopped: at its last step, or diverged, and summarized)."""
        return (self.status == "FINISHED_SUCCESSFULLY" and not self.exceptions
                and not self.error and not self.progress_left)


async def visit(s: Session, view: View, timeout: float = VISIT_TIMEOUT) -> Visit:
    """Open `view` and read until its full run finished: a run light while the server
    was busy is followed by its catch-up (ui.shell), read too. Within `timeout` seconds
    from the start, else the visit says it timed out."""
    out = Visit(f"/{view.page}?{view.query}")
    start = time.perf_counter()
    left = lambda: timeout - (time.perf_counter() - start)          # noqa: E731
    try:
        run = await s.connect(view, timeout=timeout)
        out.seconds = time.perf_counter() - start
        while run.light and run.status == "FINISHED_SUCCESSFULLY" and not run.exceptions:
            out.light_runs += 1
            out.busy_notes += run.busy_notes
            run = await asyncio.wait_for(s._read_run(), max(left(), 0.01))
        if view.press and run.status == "FINISHED_SUCCESSFULLY" and not run.exceptions:
            run = await s.press(view.press, timeout=max(left(), 0.01))
    except asyncio.TimeoutError:
        out.error = f"not done within {timeout:g} s"
        return out
    except (OSError, InvalidHandshake, ConnectionClosed) as exc:
        out.error = repr(exc)
        return out
    out.done_seconds = time.perf_counter() - start
    out.status, out.progress, out.progress_text = run.status, run.progress, run.progress_text
    out.progress_left = bool(run.progress_bars)
    out.exceptions, out.busy_notes = run.exceptions, out.busy_notes + run.busy_notes
    return out


async def visits(url: str, views: list[View], timeout: float, stay: asyncio.Event
                 ) -> list[Visit]:
    """Every view opened at once, each in its own session, which stays open (on its
    page, its session state held by the server) until `stay` is set."""
    async def one(i: int, view: View) -> Visit:
        s = Session(url, f"v{i}")
        try:
            out = await visit(s, view, timeout)
            await stay.wait()
            return out
        finally:
            await s.close()
    return list(await asyncio.gather(*(one(i, v) for i, v in enumerate(views))))


def visit_line(v: Visit) -> str:
    """A visit for the table's reader.

    >>> visit_line(Visit("/training?seed=1", 1.2, 3.4, "FINISHED_SUCCESSFULLY", 0.1))
    'done in 3.4 s (first script_finished 1.2 s): /training?seed=1'
    >>> visit_line(Visit("/training?seed=2", error="not done within 300 s"))
    'NOT DONE (not done within 300 s): /training?seed=2'
    """
    if v.done:
        return f"done in {v.done_seconds:.1f} s (first script_finished {v.seconds:.1f} s" \
            + (f", {v.light_runs} light run(s) caught up" if v.light_runs else "") \
            + (f", last progress '{v.progress_text}'" if v.progress_text else "") \
            + f"): {v.link}"
    why = v.error or (f"{v.exceptions} exception(s)" if v.exceptions else
                      f"script {v.status}, a progress bar left at {v.progress}")
    return f"NOT DONE ({why}): {v.link}"


async def _download(s: Session, tally: Tally) -> None:
    await s.drain()                     # the link the page shows now (see Session.drain)
    if not s.last.downloads:
        return
    tally.downloads += 1
    why = await s.download(s.last, s.view)
    if why:
        tally.download_errors += 1
        tally.note(f"{s.name}: {why}")


def task_files(pid: int, name: str) -> list[str]:
    """The text of /proc/<pid>/task/<tid>/<name> for every thread of the process (none
    once it is gone, nor of a thread that ended meanwhile)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    texts = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/{name}") as f:
                texts.append(f.read())
        except OSError:
            pass
    return texts


class MemorySampler:
    """Resident memory of the server's processes, summed, every `every` seconds; and the
    CPU time they used meanwhile (a cost per rerun that other load on the machine does
    not inflate the way it inflates latencies)."""

    def __init__(self, pids: list[int] | callable, every: float = 1.0):
        given = pids if callable(pids) else (lambda: pids)
        self._given = given
        # a server's compute processes (ui.compute) are its children: theirs count too
        self._pids = lambda: [q for p in given() for q in self.family(p)]
        self.every = every
        self.samples: list[float] = []
        # (seconds since the start, the servers' own MB, their children's MB)
        self.split: list[tuple[float, float, float]] = []
        self._t0 = time.monotonic()
        self._cpu_start = {p: self.cpu_s(p) for p in self._pids()}
        self._cpu_last = dict(self._cpu_start)

    @staticmethod
    def family(pid: int) -> list[int]:
        """pid and its descendants, from /proc/<pid>/task/<tid>/children."""
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo += [int(c) for text in task_files(p, "children") for c in text.split()]
        return out

    @staticmethod
    def cpu_s(pid: int) -> float:
        """User + system CPU seconds of a process (0 once it is gone)."""
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def cpu_used(self) -> float:
        return sum(self._cpu_last.get(p, 0.0) - self._cpu_start.get(p, 0.0)
                   for p in self._cpu_last)

    @staticmethod
    def rss_mb(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def sample(self) -> None:
        pids = self._pids()
        if pids:
            rss = {p: self.rss_mb(p) for p in pids}
            own = sum(rss.get(p, 0.0) for p in self._given())
            self.samples.append(sum(rss.values()))
            self.split.append((time.monotonic() - self._t0, own, self.samples[-1] - own))
        for p in pids:                 # a restarted worker counts from its start
            self._cpu_start.setdefault(p, 0.0)
            self._cpu_last[p] = self.cpu_s(p) or self._cpu_last.get(p, 0.0)

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.every)

    def by_process(self, points: int = 12) -> dict:
        """Who held the memory: the peaks of the servers' own RSS and of their compute
        processes' (each at its own moment), and about `points` samples over the run
        as [seconds, server MB, compute MB].

        >>> m = MemorySampler([])
        >>> m.split = [(0.0, 200.0, 150.0), (1.0, 900.0, 160.0), (2.0, 300.0, 400.0)]
        >>> m.by_process(points=2)
        {'server_peak': 900, 'compute_peak': 400, 'timeline': [[0, 200, 150], [2, 300, 400]]}
        """
        step = max(1, -(-len(self.split) // points))
        keep = self.split[::step] + ([self.split[-1]] if (len(self.split) - 1) % step else [])
        return dict(server_peak=_r(max((s for _, s, _ in self.split), default=None)),
                    compute_peak=_r(max((c for _, _, c in self.split), default=None)),
                    timeline=[[round(t), round(s), round(c)] for t, s, c in keep])


async def run_class(url: str, sessions: int, seconds: float, interval: float = 3.0,
                    pids=(), downloads: bool = True, seed: int = 0, burst: bool = False,
                    first_views: list[View] | None = None, visit_views: list[View] = (),
                    visit_timeout: float = VISIT_TIMEOUT) -> dict:
    """N sessions for `seconds`; their starts spread over one interval (students do not
    click at the same instant) unless `burst`. `visit_views` are opened first, each in
    a session of its own that stays on it until the class and every visit are done
    (each within `visit_timeout`). The report as a dict."""
    check_loopback(url)
    if not 1 <= sessions <= MAX_SESSIONS or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"sessions 1..{MAX_SESSIONS}, seconds up to {MAX_SECONDS}")
    if len(visit_views) > MAX_VISITS:
        raise ValueError(f"at most {MAX_VISITS} visits")
    tally, mem = Tally(), MemorySampler(pids)
    load_before = os.getloadavg()[0]
    sampler = asyncio.create_task(mem.run())
    stay = asyncio.Event()
    visiting = asyncio.create_task(visits(url, list(visit_views), visit_timeout, stay))
    await asyncio.sleep(0.5 if visit_views else 0)  # their requests reach the server first
    stop_at = time.monotonic() + seconds

    async def one(i: int) -> None:
        rng = random.Random(seed * 100_003 + i)
        if not burst:
            await asyncio.sleep(rng.uniform(0, min(interval, seconds / 4)))
        first = first_views[i % len(first_views)] if first_views else None
        await student(Session(url, f"s{i}"), tally, rng, stop_at, interval, downloads, first)

    try:
        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(sessions))),
                               seconds + 2 * RUN_TIMEOUT + 30)
        stay.set()
        done_visits = await asyncio.wait_for(visiting, visit_timeout + 30)
    finally:
        visiting.cancel()
        sampler.cancel()
        mem.sample()
    rep = report(tally, sessions, seconds, mem.samples, done_visits)
    rep["rss_by_process_mb"] = mem.by_process()
    runs = len(tally.latencies) + len(tally.first_loads)
    rep["server_cpu_ms_per_run"] = round(mem.cpu_used() * 1e3 / runs) if runs else None
    rep["loadavg_1min"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    return rep


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def report(t: Tally, sessions: int, seconds: float, mem: list[float],
           visited: list[Visit] = ()) -> dict:
    ms = lambda x: None if x is None else round(x * 1e3)               # noqa: E731
    not_done = sum(not v.done for v in visited)
    return dict(
        sessions=sessions, seconds=seconds, reruns=len(t.latencies),
        first_loads=len(t.first_loads), errors=t.errors + not_done,
        error_kinds=dict(exceptions=t.exceptions, disconnects=t.disconnects,
                         timeouts=t.timeouts, wrong_views=t.wrong_views,
                         download_errors=t.download_errors, connect_errors=t.connect_errors,
                         visits_not_done=not_done),
        visits=[asdict(v) | dict(done=v.done) for v in visited],
        busy_notes=t.busy_notes, light_runs=t.light_runs,
        downloads=t.downloads,
        p50_ms=ms(_pct(t.latencies, 0.5)), p95_ms=ms(_pct(t.latencies, 0.95)),
        max_ms=ms(max(t.latencies, default=None)),
        first_load_p50_ms=ms(_pct(t.first_loads, 0.5)),
        first_load_p95_ms=ms(_pct(t.first_loads, 0.95)),
        first_load_max_ms=ms(max(t.first_loads, default=None)),
        rss_mb=dict(start=_r(mem[0] if mem else None), peak=_r(max(mem, default=None)),
                    end=_r(mem[-1] if mem else None)),
        sessions_per_worker=dict(sorted(t.workers.items())),
        notes=t.notes,
    )


def _r(x):
    return None if x is None else round(x)


def check_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"bench.load only runs against loopback, not {host!r}")


# -- command line --------------------------------------------------------------------------------

def table(rows: list[dict]) -> str:
    head = ("| workers | sessions | reruns | errors | p50 ms | p95 ms | max ms "
            "| first load p95 ms | server CPU ms / run | RSS MB start / peak / end "
            "| sessions per worker | load avg |")
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        m = r["rss_mb"]
        lines.append(f"| {r.get('workers', 1)} | {r['sessions']} | {r['reruns']} | "
                     f"{r['errors']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | "
                     f"{r['first_load_p95_ms']} | {r['server_cpu_ms_per_run']} | "
                     f"{m['start']} / {m['peak']} / {m['end']} | "
                     f"{', '.join(f'{k}: {v}' for k, v in r['sessions_per_worker'].items())} | "
                     f"{r['loadavg_1min'][0]}-{r['loadavg_1min'][1]} |")
    return "\n".join(lines)


def held(rows: list[dict], target_ms: float) -> int:
    """The largest class size that met the target (rerun p95, no errors) with every
    smaller size measured meeting it too: a lucky run past a failed one does not count.

    >>> rows = [dict(sessions=n, errors=0, p95_ms=p) for n, p in [(2, 800), (4, 900),
    ...         (6, 1200), (8, 950)]]
    >>> held(rows, 1000)
    4
    """
    size = 0
    for r in sorted(rows, key=lambda r: r["sessions"]):
        if r["errors"] or r["p95_ms"] is None or r["p95_ms"] > target_ms:
            break
        size = r["sessions"]
    return size


@contextlib.contextmanager
def servers_for(args):
    """({workers: (url, pids callable)}, box state callable or None) of the servers to
    load: given, a fresh one (in a box), or one cluster per worker count (all up at
    once, measured in turns)."""
    with contextlib.ExitStack() as stack:
        if args.workers:
            from deploy.serve import Cluster
            out = {}
            for n in args.workers:
                log_dir = args.log_dir / f"workers{n}" if args.log_dir else None
                c = stack.enter_context(Cluster(n, log_dir=log_dir))
                out[n] = (c.url, c.pids)
            yield out, None
        elif args.start_server or args.box:
            yield stack.enter_context(fresh_server(args.log_dir, args.box))
        else:
            yield {1: (args.url, lambda: list(args.pid))}, None


@contextlib.contextmanager
def fresh_server(log_dir: Path | None = None, box: tuple[float, float] | None = None):
    """({1: (url, pids)}, its box's state or None): the app started as `make run` does,
    in a fresh bench.box.Box(*box) if given; stopped (and the box removed) at the end."""
    from deploy.serve import free_port, start_as_make_run, stop, wait_healthy
    with contextlib.ExitStack() as stack:
        prefix, state = [], None
        if box is not None:
            from bench.box import Box
            the_box = stack.enter_context(Box(*box))
            prefix = the_box.wrapper()
        port = free_port()
        log = Path(log_dir or "/tmp") / f"bench-load-{port}.log"
        proc = start_as_make_run(port, log, prefix)
        stack.callback(stop, proc)                 # before the box goes
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, [proc], log=log)
        if box is not None:
            if not the_box.holds(proc.pid):
                raise RuntimeError(f"the server (pid {proc.pid}) is not in {the_box.name}")
            state = lambda: the_box.usage() | dict(server_alive=proc.poll() is None)  # noqa: E731
        yield {1: (url, lambda: [proc.pid])}, state


def warm_up(url: str, workers: int) -> None:
    """Every page opened once on every worker, not counted: a worker's first run pays
    for imports and first figures, which a class meets once, not on every rerun."""
    views = [View(p.url_path) for p in PAGES]
    asyncio.run(run_class(url, len(views) * workers, 1.0, downloads=False, burst=True,
                          first_views=views))


def _link(text: str) -> View:
    try:
        return View.from_link(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def memory_line(rep: dict) -> str:
    """Who held the memory, how often a page said the server was busy, the first loads.

    >>> print(memory_line(dict(rss_by_process_mb=dict(server_peak=900, compute_peak=400,
    ...       timeline=[[0, 200, 150], [2, 300, 400]]), busy_notes=3, light_runs=2,
    ...       first_load_p50_ms=800, first_load_p95_ms=1900, first_load_max_ms=2100)))
    RSS MB peaks: server 900, compute processes 400; [s, server, compute]: [0, 200, 150] [2, 300, 400]; runs saying busy: 3, light: 2; first loads ms p50 / p95 / max: 800 / 1900 / 2100
    """
    m = rep["rss_by_process_mb"]
    return (f"RSS MB peaks: server {m['server_peak']}, compute processes {m['compute_peak']}; "
            f"[s, server, compute]: {' '.join(map(str, m['timeline']))}; "
            f"runs saying busy: {rep['busy_notes']}, light: {rep['light_runs']}; first loads "
            f"ms p50 / p95 / max: {rep['first_load_p50_ms']} / {rep['first_load_p95_ms']} / "
            f"{rep['first_load_max_ms']}")


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _box(text: str) -> tuple[float, float]:
    from bench.box import parse
    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8501")
    ap.add_argument("--pid", type=int, action="append", default=[],
                    help="a server process to sample memory of (repeatable)")
    ap.add_argument("--start-server", action="store_true",
                    help="start the app as `make run` does, on a free port")
    ap.add_argument("--box", type=_box, default=None, metavar="MEM_MB,CPUS",
                    help="start it (as --start-server) in a fresh cgroup with this memory "
                         "limit and CPU quota, e.g. 1024,1 or 700,0.5 (bench.box; root)")
    ap.add_argument("--workers", type=_ints, default=[],
                    help="start N workers behind HAProxy (deploy.serve) and load the proxy; "
                         "a list (1,2) starts one cluster each, measured in turns")
    ap.add_argument("--sessions", type=_ints, default=[10],
                    help="class size, or a list (4,8,16): one run each")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--interval", type=float, default=3.0)
    ap.add_argument("--target-p95", type=float, default=1.0, help="seconds")
    ap.add_argument("--burst", action="store_true",
                    help="every session opens at once, on a server no page was opened on "
                         "yet (no warm-up): a class opening the link together")
    ap.add_argument("--no-downloads", action="store_true")
    ap.add_argument("--visit", type=_link, action="append", default=[], metavar="LINK",
                    help="open this link first, in a session of its own that stays on it "
                         "while the class runs (repeatable; e.g. '/training?depth=200')")
    ap.add_argument("--heavy-training", type=int, default=0, metavar="N",
                    help="also visit the heaviest Training link N times, seeds 1..N")
    ap.add_argument("--live-columns", type=int, default=0, metavar="N",
                    help="also N visitors who each train a trainability column live "
                         "(the Depth scales page's Start button), at N sigma_w^2")
    ap.add_argument("--visit-timeout", type=float, default=VISIT_TIMEOUT,
                    help="seconds a visit may take to finish its full run")
    ap.add_argument("--json", type=Path, help="also write the report here")
    ap.add_argument("--log-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.box and args.workers:
        ap.error("--box runs one server as `make run` does, not --workers behind a proxy")
    if not 0 <= args.heavy_training <= MAX_VISITS:
        ap.error(f"--heavy-training takes 0..{MAX_VISITS}")
    if not 0 < args.visit_timeout <= MAX_SECONDS:           # NaN fails too
        ap.error(f"--visit-timeout takes seconds up to {MAX_SECONDS}")
    if not 0 <= args.live_columns <= MAX_VISITS:
        ap.error(f"--live-columns takes 0..{MAX_VISITS}")
    to_visit = args.visit + heavy_training(args.heavy_training) + live_columns(args.live_columns)
    if len(to_visit) > MAX_VISITS:
        ap.error(f"at most {MAX_VISITS} visits")
    rows = []
    with contextlib.ExitStack() as stack:
        try:
            servers, box_state = stack.enter_context(servers_for(args))
        except RuntimeError as exc:             # no box here, a server that did not start
            sys.exit(f"load: {exc}")
        where = (f"{'/'.join(map(str, servers))} worker(s) behind HAProxy" if args.workers
                 else next(iter(servers.values()))[0])
        if box_state:
            where += f" in a box of {args.box[0]:g} MB, {args.box[1]:g} CPU"
        print(f"load: {where}; sessions {args.sessions}, {args.seconds:.0f} s each, a new "
              f"view every ~{args.interval:g} s", flush=True)
        for workers, (url, _) in servers.items():
            if not args.burst:          # a burst meets the server as a class does: cold
                warm_up(url, workers)
        print("\n".join(table([]).splitlines()[:2]), flush=True)
        for i, n in enumerate(args.sessions):
            for workers, (url, pids) in servers.items():     # in turns: drifts hit all
                # the visits with the first class only: later ones would find them cached
                rep = asyncio.run(run_class(url, n, args.seconds, args.interval, pids,
                                            not args.no_downloads, burst=args.burst,
                                            visit_views=to_visit if i == 0 else (),
                                            visit_timeout=args.visit_timeout))
                rows.append(dict(workers=workers) | rep)
                print(table(rows[-1:]).splitlines()[-1], flush=True)
                for v in rep["visits"]:
                    print(f"  visit: {visit_line(Visit(**{k: v[k] for k in v if k != 'done'}))}",
                          flush=True)
                print(f"  {memory_line(rep)}", flush=True)
                if box_state:
                    rows[-1]["box"] = box_state()
                    print(f"  box: {box_line(rows[-1]['box'])}", flush=True)
    target = args.target_p95 * 1e3
    held_by = {w: held([r for r in rows if r["workers"] == w], target) for w in servers}
    out = dict(url=None if (args.workers or args.start_server or args.box) else args.url,
               box=dict(mem_mb=args.box[0], cpus=args.box[1]) if args.box else None,
               interval=args.interval, target_p95_ms=target, held_at_target=held_by,
               runs=rows)
    print(f"\nheld at p95 <= {args.target_p95:g} s with no errors: "
          + ", ".join(f"{w} worker(s): {h} sessions" for w, h in held_by.items()))
    for r in rows:
        for n in r["notes"][:5]:
            print(f"  note ({r['workers']} w, {r['sessions']} sessions): {n}")
    print(json.dumps(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    if any(r["errors"] or box_failed(r.get("box")) for r in rows):
        sys.exit(1)


def box_line(state: dict) -> str:
    """The box's state after a run, for the table's reader.

    >>> box_line(dict(oom_kills=0, peak_mb=612.3, server_alive=True))
    'OOM kills 0, peak 612 MB, server alive'
    """
    peak = "?" if state["peak_mb"] is None else f"{state['peak_mb']:.0f}"
    return (f"OOM kills {'?' if state['oom_kills'] is None else state['oom_kills']}, "
            f"peak {peak} MB, server {'alive' if state['server_alive'] else 'DIED'}")


def box_failed(state: dict | None) -> bool:
    """Whether the box killed something or the server is gone."""
    return bool(state) and (bool(state["oom_kills"]) or not state["server_alive"])


if __name__ == "__main__":
    main()
