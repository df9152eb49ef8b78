"""``forecaster serve`` as a local server (docs/RELIABILITY.md, "The explorer as a local
server"): its token, the Host and Origin checks, the body limit, deep JSON, the per-client cap
on jobs, the time limit of queued jobs, a port in use, the warning for a non-loopback address,
and the token flow of the printed address in headless Chromium."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from test_serve import SMALL, Live, _headline, browser, cli_probabilities  # noqa: F401

from forecaster._serve._jobs import Job, Jobs
from forecaster._serve._state import parse_state

pytestmark = pytest.mark.slow
TOKEN = "test-token-0123456789"
BIG = {"scenario": "decaying", "n_draws": 10_000_000, "seed": 1}


class Client(Live):
    """The app with a token, and requests that carry what a test gives them (headers, a
    cookie), answering (status, JSON or bytes, headers)."""

    def ask(self, path: str, body=None, headers=None, raw: bytes | None = None):
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data, dict(headers or {}))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, _decode(response.read()), response.headers
        except urllib.error.HTTPError as err:
            return err.code, _decode(err.read()), err.headers

    def cookie(self) -> dict[str, str]:
        """A fresh session: the page opened with the token, its cookie as a header."""
        code, _, headers = self.ask(f"/?token={TOKEN}")
        assert code == 200
        return {"Cookie": headers["Set-Cookie"].split(";")[0]}


def _decode(body: bytes):
    try:
        return json.loads(body)
    except ValueError:
        return body


@pytest.fixture(scope="module")
def guarded():
    server = Client(token=TOKEN, time_limit_s=120.0)
    yield server
    server.stop()


def test_no_token_is_refused_and_the_token_is_accepted(guarded):
    assert guarded.ask("/api/presets")[0] == 403
    assert guarded.ask("/")[0] == 403  # the page too
    assert guarded.ask("/api/presets?token=wrong")[0] == 403
    assert guarded.ask("/api/presets", headers={"Authorization": "token wrong"})[0] == 403
    assert guarded.ask(f"/api/presets?token={TOKEN}")[0] == 200
    assert guarded.ask("/api/presets", headers={"Authorization": f"token {TOKEN}"})[0] == 200
    assert guarded.ask("/static/app.js")[0] == 200  # no secret in the page's script
    code, _, headers = guarded.ask(f"/?token={TOKEN}")
    cookie = headers["Set-Cookie"]
    assert code == 200 and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    session = {"Cookie": cookie.split(";")[0]}
    assert guarded.ask("/api/presets", headers=session)[0] == 200  # the page's own calls
    assert guarded.ask("/", headers=session)[0] == 200  # a reload without the token
    forged = {"Cookie": session["Cookie"][:-4] + "0000"}
    assert guarded.ask("/api/presets", headers=forged)[0] == 403


def test_a_foreign_host_header_is_refused(guarded):
    auth = {"Authorization": f"token {TOKEN}"}
    port = guarded.port
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
        code, body, _ = guarded.ask("/api/presets", headers={**auth, "Host": host})
        assert code == 403 and body["field"] == "Host", host
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost:9000"):
        assert guarded.ask("/api/presets", headers={**auth, "Host": host})[0] == 200, host


def test_a_cross_origin_post_is_refused(guarded):
    session = guarded.cookie()
    state = {**SMALL, "n_draws": 1000}
    for origin in ("http://evil.example", "null", f"http://localhost:{guarded.port + 1}"):
        code, body, _ = guarded.ask("/api/run", state, {**session, "Origin": origin})
        assert code == 403 and body["field"] == "Origin", origin
    code, body, _ = guarded.ask("/api/job/x/cancel", {}, {**session, "Origin": "http://e.x"})
    assert code == 403
    code, job, _ = guarded.ask("/api/run", state, {**session, "Origin": guarded.base})
    assert code == 200 and job["status"] in ("queued", "running", "done")


def test_a_body_too_large_is_413(guarded):
    session = guarded.cookie()
    huge = {**SMALL, "params": {"f": "1" * 70_000}}
    code, body, _ = guarded.ask("/api/run", huge, session)
    assert code == 413 and "65,536 bytes" in body["message"]
    code, _, _ = guarded.ask("/api/run", SMALL | {"n_draws": 1000}, session)
    assert code == 200


@pytest.mark.parametrize("depth", [2_000, 30_000])
def test_deep_json_is_a_400_not_a_500(guarded, depth):
    session = guarded.cookie()
    deep = "[" * depth + "]" * depth
    code, body, _ = guarded.ask("/api/run", headers=session, raw=deep.encode())
    assert code == 400 and body["field"] == "state", body
    query = urllib.parse.quote("[" * min(depth, 5_000))
    code, body, _ = guarded.ask(f"/api/scenario?state={query}", headers=session)
    assert code == 400 and body["field"] == "state", body


def test_json_that_is_not_an_object_is_a_400(guarded):
    session = guarded.cookie()
    for text in (b"[1, 2]", b"3", b'"x"', b"null", b"{not json"):
        code, body, _ = guarded.ask("/api/run", headers=session, raw=text)
        assert code == 400 and body["field"] == "state" and len(body["message"]) < 300, text
    code, body, _ = guarded.ask("/api/run", {**SMALL, "params": [[1]] * 5000}, session)
    assert code == 400 and len(body["message"]) < 400  # a long value shown short


def test_one_client_cannot_crowd_out_another():
    server = Client(token=TOKEN, time_limit_s=120.0, workers=1, per_client=2)
    try:
        first, second = server.cookie(), server.cookie()
        ids = []
        for seed in (1, 2):
            code, job, _ = server.ask("/api/run", {**BIG, "seed": seed}, first)
            assert code == 200
            ids.append(job["id"])
        code, body, _ = server.ask("/api/run", {**BIG, "seed": 3}, first)
        assert code == 429 and "already has 2 computations" in body["message"]
        code, job, _ = server.ask("/api/run", {**BIG, "seed": 4}, second)  # its own room
        assert code == 200
        ids.append(job["id"])
        server.ask(f"/api/job/{ids[0]}/cancel", {}, first)  # a cancelled job frees its room
        assert server.ask("/api/run", {**BIG, "seed": 5}, first)[0] == 200
    finally:
        server.stop()


def _job(status: str, client: str) -> Job:
    job = Job(f"{client}-{status}-{time.perf_counter_ns()}", parse_state(SMALL), client)
    job.status = status
    return job


def test_eviction_never_drops_a_queued_or_running_job():
    jobs = Jobs(workers=1, kept=3)
    try:
        mine = [_job("done", "a"), _job("queued", "b"), _job("running", "b"), _job("done", "b")]
        for job in mine:
            jobs.jobs[job.id] = job
        jobs._evict("b")  # b's own finished job goes first
        assert [j.id for j in jobs.jobs.values()] == [j.id for j in mine[:3]]
        new = _job("queued", "c")
        jobs.jobs[new.id] = new
        jobs._evict("c")  # c has no finished job: the oldest finished one (a's)
        assert [j.id for j in jobs.jobs.values()] == [mine[1].id, mine[2].id, new.id]
        more = _job("queued", "c")
        jobs.jobs[more.id] = more
        jobs._evict("c")  # nothing finished: nothing dropped
        assert len(jobs.jobs) == 4 and all(j.status in ("queued", "running") for j in mine[1:3])
    finally:
        jobs.close()


def test_a_job_waiting_in_the_queue_past_the_time_limit_is_failed():
    """The one worker is held by a job that never ends on its own (an event), so the
    queued job waits past the limit whatever the machine's load; it is failed with a
    message saying so and never runs once the worker frees."""
    jobs = Jobs(workers=1, time_limit_s=1.0)
    release = threading.Event()
    try:
        jobs.pool.submit(release.wait, 60)
        waiting = jobs.submit(parse_state(SMALL), "a")
        assert waiting.status == "queued"
        time.sleep(1.2)
        view = jobs.get(waiting.id).view()
        release.set()
        jobs.pool.submit(lambda: None).result(timeout=60)  # the queue has drained
    finally:
        release.set()
        jobs.close()
    assert view["status"] == "cancelled"
    assert "waited in the queue past the time limit of 1 s" in view["error"]["message"]
    assert waiting.status == "cancelled" and waiting.run_dir is None  # it never ran


# ------------------------------------------------------------------- the command line
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("FORECASTER_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "forecaster", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "forecaster", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done
    assert done.stderr.strip() == (
        f"forecaster: error: port {port} on 127.0.0.1 is in use (stop what serves it, or "
        "choose another: --port N)"
    )
    assert "Traceback" not in done.stderr + done.stdout


def test_bad_serve_options_are_one_line():
    cases = [
        (["--port", "x"], "--port"),
        (["--time-limit", "y"], "--time-limit"),
        (["--token"], "serve"),
        (["--calibrations", ""], "--calibrations"),
        (["--host", "no.such.host.invalid", "--port", str(_free_port())], "--host"),
    ]
    for args, field in cases:
        done = subprocess.run(
            [sys.executable, "-m", "forecaster", "serve", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done
        assert done.stderr.startswith(f"forecaster: error: {field}="), done.stderr
        assert done.stderr.count("\n") == 1, done.stderr


def _started(process: subprocess.Popen) -> str:
    """The line with the address the server printed (it prints it once bound)."""
    line = process.stdout.readline()
    assert "forecaster explorer on" in line, (line, process.stderr.read())
    return line.split(" on ", 1)[1].split(" ", 1)[0]


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err


def test_the_printed_address_holds_the_token_and_only_it_works():
    process = _serve("--port", str(_free_port()))
    try:
        url = _started(process)
        assert url.startswith("http://127.0.0.1:") and "?token=" in url
        base, token = url.split("/?token=")
        assert len(token) >= 32
        with urllib.request.urlopen(url, timeout=60) as response:
            assert response.status == 200 and "HttpOnly" in response.headers["Set-Cookie"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "/api/presets", timeout=60)
        assert refused.value.code == 403
    finally:
        err = _stop(process)
    assert "warning" not in err  # loopback: no warning


def test_a_non_loopback_address_is_warned_about():
    process = _serve("--host", "0.0.0.0", "--port", str(_free_port()))
    try:
        url = _started(process)
        assert "?token=" in url
    finally:
        err = _stop(process)
    assert err.startswith("forecaster: warning: --host 0.0.0.0 is reachable from other machines")
    process = _serve("--port", str(_free_port()), "--no-token")
    try:
        url = _started(process)
        assert "token" not in url
        with urllib.request.urlopen(url + "api/presets", timeout=60) as response:
            assert response.status == 200
    finally:
        _stop(process)


# --------------------------------------------------------------------------- the browser
def test_the_token_flow_in_a_headless_browser(browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    server = Client(token=TOKEN, time_limit_s=120.0)
    try:
        browser.delete_all_cookies()
        browser.get(server.base + "/")  # without the token: refused
        assert "token" in browser.find_element(By.TAG_NAME, "body").text
        assert not browser.find_elements(By.CSS_SELECTOR, "#panel-a .headline")
        state = {"a": SMALL, "b": None, "tab": "curves"}
        browser.get(f"{server.url}&state=" + urllib.parse.quote(json.dumps(state)))
        first = float(_headline(browser))  # the page's API calls went through
        assert first == cli_probabilities(SMALL)[(3.0, 12.0)]
        assert "token=" not in browser.current_url  # the shared address holds no token
        browser.get(browser.current_url)  # a reload: the cookie authorises it
        assert float(_headline(browser)) == first
    finally:
        server.stop()
