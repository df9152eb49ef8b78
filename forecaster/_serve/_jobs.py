"""The explorer's computations: each state a job on a small thread pool, with progress, a time
limit and cancellation, its result kept for its page (and its download) a while.

Jobs run the CLI's own path (compose the overrides, plan, :func:`run_forecast` into a run
directory of the job's own, :func:`build_summary`), so what the page shows is what
``forecaster forecast`` writes for the same settings and seed. The engine keeps compiled
kernels warm between jobs of the same settings (``_engine._compiled``).

The queue is shared, so it is fair: each client (a page's session, else an address) has at
most ``per_client`` jobs queued or running and the server ``max_active`` (:class:`Busy`,
a 429, past either); making room for a new job drops finished jobs only, the client's own
first, never a job still queued or running; and the time limit counts from submission, so a
job that waits in the queue past it is failed with a message saying so instead of waiting on.
"""

from __future__ import annotations

import collections
import dataclasses
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .._config import compose_forecast, plan_forecast
from .._errors import ConfigError
from ._state import State, overrides

_COMPOSE = threading.Lock()

#: How often a waiting request looks at its job [s].
WAIT_STEP_S = 0.005


class Cancelled(Exception):
    """A job stopped: cancelled by its page, or past the time limit."""


class Busy(Exception):
    """A client (or the server) has as many jobs queued or running as allowed."""


ACTIVE = ("queued", "running")


@dataclasses.dataclass
class Job:
    """One computation: its state, where it stands, and its outcome."""

    id: str
    state: State
    client: str = ""
    started: float = dataclasses.field(default_factory=time.perf_counter)
    status: str = "queued"  # queued | running | done | error | cancelled
    done: int = 0
    total: int = 0
    error: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    result: Any = None
    run_dir: Path | None = None
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)
    seconds: float | None = None

    def view(self) -> dict[str, Any]:
        """What the page polls."""
        return {
            "id": self.id,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "error": self.error,
            "seconds": self.seconds,
        }


class Jobs:
    """The jobs of one server process."""

    def __init__(
        self,
        workers: int = 2,
        time_limit_s: float = 120.0,
        kept: int = 32,
        per_client: int = 4,
        max_active: int = 16,
    ):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="forecaster")
        self.time_limit_s = time_limit_s
        self.kept = kept
        self.per_client = per_client
        self.max_active = max_active
        self.jobs: collections.OrderedDict[str, Job] = collections.OrderedDict()
        self.lock = threading.Lock()
        self.root = Path(tempfile.mkdtemp(prefix="forecaster-serve-"))

    def _active(self, client: str | None = None) -> int:
        """Jobs queued or running and not cancelled (of ``client``, or all); under the lock."""
        return sum(
            1
            for job in self.jobs.values()
            if job.status in ACTIVE
            and not job.cancel.is_set()
            and (client is None or job.client == client)
        )

    def _check_room(self, client: str) -> None:
        """:class:`Busy` when the client or the server is at its cap; under the lock."""
        self._expire_queued()
        if self._active(client) >= self.per_client:
            raise Busy(
                f"this page already has {self.per_client} computations queued or running; "
                "wait for one to finish or cancel it"
            )
        if self._active() >= self.max_active:
            raise Busy(
                f"the server has {self.max_active} computations queued or running; "
                "try again in a moment"
            )

    def _expire_queued(self) -> None:
        """Fail the queued jobs that waited past the time limit; under the lock."""
        now = time.perf_counter()
        for job in self.jobs.values():
            if job.status == "queued" and now - job.started > self.time_limit_s:
                job.status = "cancelled"
                job.seconds = now - job.started
                job.error = {
                    "field": None,
                    "message": f"cancelled: waited in the queue past the time limit of "
                    f"{self.time_limit_s:g} s (the server is busy); try again",
                }

    def _evict(self, client: str) -> None:
        """Keep ``kept`` jobs: drop finished ones, the client's own oldest first, then the
        oldest of any client; a job queued or running is never dropped. Under the lock."""
        while len(self.jobs) > self.kept:
            finished = [j for j in self.jobs.values() if j.status not in ACTIVE]
            if not finished:
                return
            own = [j for j in finished if j.client == client]
            old = (own or finished)[0]
            del self.jobs[old.id]
            if old.run_dir is not None:
                shutil.rmtree(old.run_dir, ignore_errors=True)

    def submit(self, state: State, client: str = "") -> Job:
        """Plan the state now (a bad value fails here, with the CLI's message), run it later;
        :class:`Busy` when ``client`` (or the server) has as many jobs as allowed."""
        with self.lock:
            self._check_room(client)
        with _COMPOSE:  # Hydra's composition is process-global state: one at a time
            cfg = compose_forecast([*overrides(state), "output.progress_bar=false"])
            plan = plan_forecast(cfg)
        job = Job(uuid.uuid4().hex, state, client, total=plan.n_draws)
        with self.lock:
            self._check_room(client)  # again: another request may have taken the room
            self.jobs[job.id] = job
            self._evict(client)
        self.pool.submit(self._run, job, cfg, plan)
        return job

    def wait(self, job: Job, seconds: float) -> None:
        """Return when ``job`` has ended (done, error, cancelled) or after ``seconds``."""
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            with self.lock:
                self._expire_queued()
                if job.status not in ("queued", "running"):
                    return
            time.sleep(min(WAIT_STEP_S, max(deadline - time.perf_counter(), 0.0)))

    def get(self, job_id: str) -> Job | None:
        with self.lock:
            self._expire_queued()
            return self.jobs.get(job_id)

    def _run(self, job: Job, cfg: Any, plan: Any) -> None:
        from omegaconf import OmegaConf

        from .._engine import run_forecast
        from .._outputs import build_summary
        from .._rundir import save_config

        with self.lock:
            self._expire_queued()
            if job.status != "queued":  # failed while it waited
                return
            if job.cancel.is_set():
                job.status = "cancelled"
                return
            job.status = "running"
        deadline = job.started + self.time_limit_s

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total
            if job.cancel.is_set():
                raise Cancelled("cancelled: the settings changed")
            if time.perf_counter() > deadline:
                raise Cancelled(
                    f"cancelled: past the time limit of {self.time_limit_s:g} s "
                    f"({done:,} of {total:,} draws done); ask for fewer draws"
                )

        job.run_dir = self.root / job.id
        try:
            job.run_dir.mkdir(parents=True)
            save_config(OmegaConf.to_container(cfg, resolve=True), job.run_dir)
            result = run_forecast(plan, job.run_dir, progress_bar=False, on_chunk=progress)
            job.result = result
            job.summary = build_summary(result)
            job.status = "done"
        except Cancelled as stop:
            job.status, job.error = "cancelled", {"field": None, "message": str(stop)}
        except ConfigError as err:
            job.status, job.error = "error", {"field": err.field, "message": str(err)}
        except Exception as err:  # one job's failure never stops the server
            job.status = "error"
            job.error = {"field": None, "message": f"{type(err).__name__}: {err}"}
        finally:
            job.seconds = time.perf_counter() - job.started

    def close(self) -> None:
        for job in list(self.jobs.values()):
            job.cancel.set()
        self.pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.root, ignore_errors=True)
