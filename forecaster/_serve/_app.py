"""The explorer's web app: a small Starlette (ASGI) app over the engine, every asset served by
itself (the page, its script, Plotly.js from the plotly package): no CDN, so it runs on an
air-gapped GPU box reached through an SSH tunnel.

Routes (JSON unless said):

- ``GET /``: the page; ``GET /static/<file>``: its script, style and ``plotly.min.js``.
- ``GET /api/presets``: scenario and timelines presets, every model's switches.
- ``GET /api/scenario?state=<json>``: a state's parameters: each one's prior as the preset
  (with the page's edits) gives it, its unit, meaning and allowed range, and the CLI command.
- ``POST /api/run`` (a state): starts a job; 400 with ``{field, message}`` for a bad value.
- ``GET /api/job/<id>[?wait=<s>]``: progress, then ``summary`` (summary.json's content) when
  done; with ``wait`` (at most :data:`MAX_WAIT_S`), the answer waits until the job ends or
  that many seconds pass, so a page learns of the results as they are ready, not at its
  next poll.
- ``POST /api/job/<id>/cancel``; ``GET /api/job/<id>/download``: the run directory (zip:
  summary.json, the CSVs, draws.parquet, config.yaml, report.html and its figures).
- ``GET /api/density?state=<json>&path=<prior path>``: the density of the prior at that path
  as the state gives it (:mod:`._density`), for the page's preview while a prior is edited.
- ``GET /api/posteriors``: the calibration runs of the server's calibrations directory
  (:mod:`._calibrations`) a state may use as ``posterior:<id>``, and those skipped, with why.
- ``POST /api/mix`` (``{"parts": [{"job": <id>, "weight": <w>}, ...]}``): the weighted
  mixture of finished jobs (``forecaster mix``'s summary), computed from their summaries.
- ``GET /api/trajectory?state=<json>``: the median-prior path (``forecaster trajectory``).
- ``GET /api/speedup?alpha=..``: the balanced-growth speed-up calculator.

Every request passes :class:`._guard.Guard` first (a token, the Host header, a POST's Origin;
see there); a POST body is read up to :data:`._guard.MAX_BODY` bytes (413 past it), a state
nested too deep for the parser is a 400, and a client at its cap of jobs gets a 429.
"""

from __future__ import annotations

import contextlib
import io
import math
import zipfile
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .. import _validate as check
from .._errors import ConfigError
from ..report._format import milestone_cap_notes
from ._calibrations import DEFAULT_DIRECTORY, Catalogue
from ._guard import MAX_BODY, Guard, TooLarge, bind, is_loopback, is_wildcard, loads, read_body
from ._jobs import _COMPOSE, Busy, Jobs
from ._state import (
    State,
    cli_command,
    overrides,
    parse_state,
    preset_details,
    presets,
    prior_path,
    switch_help,
    switches,
)

STATIC = Path(__file__).parent / "static"

#: The longest a ``GET /api/job/<id>?wait=`` holds its answer [s].
MAX_WAIT_S = 5.0


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null (as in summary.json)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


async def _body(request: Request, limit: int, field: str) -> bytes | JSONResponse:
    """A POST's body, or the 413 answer past ``limit`` bytes (``field``: what it holds)."""
    try:
        return await read_body(request.receive, limit)
    except TooLarge:
        message = f"a request body of at most {limit:,} bytes (a {field} is far smaller)"
        return JSONResponse({"field": field, "message": message}, status_code=413)


def _float_or_text(text: str) -> float | str:
    """A query parameter as a number where it reads as one (else the text, to be refused)."""
    try:
        return float(text)
    except ValueError:
        return text


def _bad(err: ConfigError) -> JSONResponse:
    return JSONResponse({"field": err.field, "message": str(err)}, status_code=400)


def _state_from_query(request: Request, catalogue: Catalogue) -> State:
    return parse_state(loads("state", request.query_params.get("state", "{}")), catalogue.priors())


def _plan(state: State) -> Any:
    from .._config import compose_forecast, plan_forecast

    with _COMPOSE:
        return plan_forecast(compose_forecast(overrides(state)))


def parameter_table(state: State) -> dict[str, Any]:
    """Every prior of the state's scenario and timelines stage, by its config path: the prior
    as the preset (with the page's edits) gives it, its unit, meaning and allowed range; then
    the model's other parameters, at their defaults; the model's name, title, description
    and switches."""
    from ..models.timelines import parameter_tables

    plan = _plan(state)
    model, rows = plan.model, []
    table = model.parameters()
    stages = [("scenario", plan.priors, table)]
    if plan.timelines is not None:
        method_table = parameter_tables()[plan.timelines.method]
        stages.append(("timelines", plan.timelines.priors, method_table))
    fixed_by_model = model.set_by_model()
    for stage, prior_set, stage_table in stages:
        described = prior_set.describe()
        for prior in prior_set.priors:
            group = "latent" if prior.name in prior_set.latent else "params"
            spec = stage_table.get(prior.name)
            path = f"{stage}.{group}.{prior.name}"
            editable = (
                prior.kind not in ("derived", "posterior") or path in state.sources
            ) and not (stage == "scenario" and prior.name in fixed_by_model)
            # a formula, a preset's file, or what the model sets itself: shown, not edited (a
            # calibrated posterior the page chose stays the page's to change back)
            rows.append(
                _row(path, prior.name, described[prior.name], spec, editable, True)
            )  # fmt: skip
    drawn = {p.name for p in plan.priors.priors}
    for name, spec in model.defaulted_parameters().items():  # at their defaults
        if name not in drawn and name not in fixed_by_model:
            rows.append(_row(f"scenario.params.{name}", name, repr(spec.default), spec,
                             True, False))  # fmt: skip
    return {
        "scenario": state.scenario,
        "model": {"name": model.name, "title": model.title, "description": model.description},
        "options": list(model.switches),
        "option_help": switch_help(state.scenario),
        "parameters": rows,
        "command": cli_command(state),
    }


def _row(path: str, name: str, prior: str, spec: Any, editable: bool, in_preset: bool):
    latent = ".latent." in path
    return {
        "path": path,
        "name": name + (" (latent)" if latent else ""),
        "prior": prior,
        "editable": editable,
        "in_preset": in_preset,
        "unit": spec.unit if spec else ("-" if latent else "years of human-only progress"),
        "meaning": spec.meaning if spec else ("feeds a formula" if latent else "a gap"),
        "range": spec.describe() if spec else ("any number" if latent else "[0, inf)"),
    }


def make_app(
    time_limit_s: float = 120.0,
    workers: int = 2,
    *,
    token: str | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    per_client: int = 4,
    max_body: int = MAX_BODY,
    calibrations: str | Path = DEFAULT_DIRECTORY,
) -> Starlette:
    """The explorer app (its jobs run on ``workers`` threads, each cut at ``time_limit_s``).

    ``token``: what a request must carry (None: nothing; see :class:`Guard`); ``host`` and
    ``port``: where it is bound (the Host headers it answers, its cookie's name);
    ``per_client``: how many jobs one client may have queued or running; ``max_body``: the
    largest POST body read; ``calibrations``: the directory of calibration runs whose
    posteriors a page may use (relative: to the working directory)."""
    jobs = Jobs(workers=workers, time_limit_s=time_limit_s, per_client=per_client)
    catalogue = Catalogue(calibrations)

    async def page(request: Request) -> Response:
        response = FileResponse(STATIC / "index.html", media_type="text/html")
        guard = request.scope["forecaster"]
        if guard["new_cookie"]:  # the page's session: its own API calls need no token
            response.set_cookie(guard["cookie_name"], guard["new_cookie"], httponly=True,
                                samesite="strict", path="/")  # fmt: skip
        return response

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        files = {"app.js": STATIC / "app.js", "app.css": STATIC / "app.css",
                 "plotly.min.js": _plotly_js()}  # fmt: skip
        if name not in files:  # a fixed list: no path a request names is ever opened
            return Response("not found", status_code=404)
        kind = "text/css" if name.endswith(".css") else "application/javascript"
        return FileResponse(files[name], media_type=kind)

    def preset_list(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "scenarios": presets("scenario"),
                "scenario_details": preset_details(),
                "timelines": presets("timelines"),
                "options": list(switches()),
            }
        )

    def scenario(request: Request) -> JSONResponse:
        try:
            return JSONResponse(_finite(parameter_table(_state_from_query(request, catalogue))))
        except ConfigError as err:
            return _bad(err)

    def density(request: Request) -> JSONResponse:
        from ._density import density as prior_density

        try:
            state = _state_from_query(request, catalogue)
            path = prior_path(request.query_params.get("path"), "path")
            return JSONResponse(_finite(prior_density(_plan(state), path)))
        except ConfigError as err:
            return _bad(err)

    def posteriors(request: Request) -> JSONResponse:
        return JSONResponse(_finite(catalogue.listing()))

    async def run(request: Request) -> JSONResponse:
        body = await _body(request, max_body, "state")
        if isinstance(body, JSONResponse):
            return body
        try:
            listed = await run_in_threadpool(catalogue.priors)  # reads files: off the loop
            state = parse_state(loads("state", body), listed)
            client = request.scope["forecaster"]["client"]
            job = await run_in_threadpool(jobs.submit, state, client)
        except ConfigError as err:
            return _bad(err)
        except Busy as busy:
            return JSONResponse({"field": None, "message": str(busy)}, status_code=429)
        return JSONResponse({**job.view(), "command": cli_command(state)})

    async def mix(request: Request) -> JSONResponse:
        from .._mix import job_parts, mix_summaries

        body = await _body(request, max_body, "mix")
        if isinstance(body, JSONResponse):
            return body
        try:
            parts = job_parts(loads("mix", body))
        except ConfigError as err:
            return _bad(err)
        summaries, sources = [], []
        for job_id, _ in parts:
            job = jobs.get(job_id)
            if job is None or job.status != "done" or job.summary is None:
                allowed = "finished runs of this explorer (each job's id)"
                return _bad(ConfigError("mix.parts", job_id[:40], allowed))
            summaries.append(job.summary)
            sources.append(f"explorer run {job.id} ({job.state.scenario}, seed {job.state.seed})")
        weights = [w for _, w in parts]
        return JSONResponse(_finite(mix_summaries(summaries, weights, sources)))

    def job_view(request: Request) -> JSONResponse:
        job = jobs.get(request.path_params["job_id"])
        if job is None:
            return JSONResponse({"message": "no such job (finished long ago?)"}, 404)
        text = request.query_params.get("wait", "0")
        try:
            wait = check.number(
                "wait", _float_or_text(text), 0.0, MAX_WAIT_S, low_open=False, high_open=False
            )
        except ConfigError as err:
            return _bad(err)
        jobs.wait(job, wait)
        view = job.view()
        if job.status == "done":
            view["summary"] = _finite(job.summary)
            view["milestone_notes"] = milestone_cap_notes(job.summary or {})
        return JSONResponse(view)

    def cancel(request: Request) -> JSONResponse:
        job = jobs.get(request.path_params["job_id"])
        if job is not None:
            job.cancel.set()
        return JSONResponse({"cancelled": job is not None})

    def download(request: Request) -> Response:
        job = jobs.get(request.path_params["job_id"])
        if job is None or job.status != "done":
            return JSONResponse({"message": "no finished job of that id"}, 404)
        from .._outputs import write_outputs
        from ..report import write_report

        run_dir = job.run_dir
        assert run_dir is not None  # a job that ran has its directory
        if not (run_dir / "summary.json").is_file():
            write_outputs(job.result, run_dir)
            write_report(run_dir)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(run_dir.iterdir()):
                if file.is_file() and not file.name.startswith("."):
                    archive.write(file, f"forecast/{file.name}")
        name = f"forecast-{job.state.scenario}-seed{job.state.seed}.zip"
        return Response(
            buffer.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def trajectory(request: Request) -> JSONResponse:
        from .._trajectory import explorer_path

        try:
            path = explorer_path(_plan(_state_from_query(request, catalogue)))
        except ConfigError as err:
            return _bad(err)
        return JSONResponse(_finite(path))

    def speedup(request: Request) -> JSONResponse:
        from ..models.davidson_houlden._speedup import SPEEDUP_DEFAULTS, balanced_growth_speedup

        values: dict[str, float] = {}
        for key in SPEEDUP_DEFAULTS:
            text = request.query_params.get(key)
            if text is None:
                continue
            try:
                values[key] = float(text)
            except ValueError:
                return _bad(ConfigError(key, text, "a number"))
        try:
            result = balanced_growth_speedup(**values)
        except ConfigError as err:
            return _bad(err)
        return JSONResponse(_finite({**result.__dict__, "inputs": {**SPEEDUP_DEFAULTS, **values}}))

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", page),
        Route("/favicon.ico", favicon),
        Route("/static/{name}", static),
        Route("/api/presets", preset_list),
        Route("/api/scenario", scenario),
        Route("/api/run", run, methods=["POST"]),
        Route("/api/job/{job_id}", job_view),
        Route("/api/job/{job_id}/cancel", cancel, methods=["POST"]),
        Route("/api/job/{job_id}/download", download),
        Route("/api/mix", mix, methods=["POST"]),
        Route("/api/density", density),
        Route("/api/posteriors", posteriors),
        Route("/api/trajectory", trajectory),
        Route("/api/speedup", speedup),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        jobs.close()

    guard = Middleware(Guard, token=token, host=host, port=port)
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[guard])
    app.state.jobs = jobs
    app.state.calibrations = catalogue
    return app


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if is_wildcard(host) else host
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"


def serve(
    host: str = "127.0.0.1",
    port: int = 8050,
    time_limit_s: float = 120.0,
    token: bool = True,
    calibrations: str | Path = DEFAULT_DIRECTORY,
) -> None:
    """Run the explorer until interrupted, as Jupyter runs its server: bound to ``host``
    (127.0.0.1 unless told, with a warning for an address other machines reach), its address
    printed with a fresh random token (``token=False``: none asked). A port in use is one
    line, exit 1 (the socket is bound here, before the server starts). ``calibrations``: the
    directory of calibration runs whose posteriors the page offers."""
    import secrets
    import sys

    import uvicorn

    sock = bind(host, port)
    secret = secrets.token_urlsafe(32) if token else None
    if not is_loopback(host):
        guard = "anyone who has the token" if secret else "anyone, with no token (--no-token)"
        print(
            f"forecaster: warning: --host {host} is reachable from other machines: {guard} "
            "can run computations on this one; prefer 127.0.0.1 and an SSH tunnel "
            "(ssh -L 8050:127.0.0.1:8050 <box>)",
            file=sys.stderr,
            flush=True,
        )
    address = _url(host, port) + (f"?token={secret}" if secret else "")
    print(f"forecaster explorer on {address} (Ctrl-C stops it)", flush=True)
    app = make_app(time_limit_s, token=secret, host=host, port=port, calibrations=calibrations)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


class Background:
    """The app served from a thread of this process on a free port of 127.0.0.1 (for tests
    and benchmarks); ``base`` is its address, :meth:`stop` ends it. ``token``: the token it
    asks for (None, the default: none, as a benchmark's plain requests expect); ``url`` is
    the address ``forecaster serve`` would print (with ``?token=``)."""

    def __init__(self, token: str | None = None, **app_options: Any):
        import threading
        import time

        import uvicorn

        sock = bind("127.0.0.1", 0)
        port = sock.getsockname()[1]
        app = make_app(token=token, host="127.0.0.1", port=port, **app_options)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, args=([sock],), daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("the explorer did not start")
            time.sleep(0.05)
        self.token = token
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/" + (f"?token={token}" if token else "")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
