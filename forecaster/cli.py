"""The ``forecaster`` command line: subcommands that are Hydra apps taking Hydra overrides.

    forecaster forecast [overrides]        run a forecast (default scenario: decaying)
    forecaster forecast -m scenario=a,b    a sweep, with a comparison table
    forecaster calibrate model=<name>      update priors against observed data (NUTS)
    forecaster report <run or sweep dir>   write report.html / report.md
    forecaster merge <shard dirs>... --out <dir>
    forecaster compare <run dirs or presets>... --out <dir>
    forecaster mix <run dir>=<weight>... --out <dir>
    forecaster trajectory [overrides]      one path at the prior medians: CSV and PNG
    forecaster speedup [alpha=0.4 gamma=1 r_cog=0.5 g_labour_before=0.7 g_compute=1.1]
    forecaster serve [--host 127.0.0.1] [--port 8050] [--time-limit 120] [--no-token]
                     [--calibrations outputs/calibrate]

Every fault ends with one line on stderr and no traceback (``FORECASTER_DEBUG=1`` shows it):
exit code 2 for a user's mistake (the line names the field and what is allowed), 1 for the
environment (disk full, a read-only or missing directory, out of memory) and for a bug, 130
for Ctrl-C. See docs/RELIABILITY.md.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import _interrupt
from ._errors import Failure, fail

USAGE = """usage: forecaster <command> [args]

commands:
  forecast [overrides]            run a forecast (Hydra app; --help shows the config)
  calibrate model=<name> [...]    calibrate priors against observed data (returns,
                                  doubling_times, combined_r, time_horizons)
  report <run or sweep dir>       write report.html and report.md for a finished run
  merge <shard dirs>... --out D   combine shards of one run into its exact result
  mix <run dir>=<w>... --out D    an all-things-considered mixture of runs, weighted
                                  (a run directory: summary.json, report)
  compare <runs>... --out D       models side by side on their common outcomes (a run:
                                  a run directory, or a preset to run here,
                                  <scenario>[+<timelines>]; --draws N, --labels a,b)
  trajectory [overrides]          one path at the scenario's prior medians (CSV, PNG;
                                  pin a parameter: scenario.params.f=8)
  speedup [key=value ...]         Davidson & Houlden's Speed-Up Calculator (balanced
                                  growth without an explosion; keys: alpha, gamma, r_cog,
                                  g_labour_before, g_compute)
  serve [--host H] [--port P]     the interactive explorer in a browser (default
                                  http://127.0.0.1:8050/?token=...; --time-limit S per
                                  computation; --no-token: no token asked;
                                  --calibrations D: the calibration runs whose
                                  posteriors it offers, default outputs/calibrate)

Examples:
  forecaster forecast scenario=davidson_houlden_2025 n_draws=1000000
  forecaster forecast -m scenario=explosive,decaying,amdahl,expanding_pie
  forecaster forecast resume=outputs/forecast/decaying/2026-11-22_10-00-00
  forecaster compare decaying+metr_trend ai2027_takeoff+ai2027 aifm_dec2025 --out cmp
"""

EXIT_USER, EXIT_ENVIRONMENT, EXIT_INTERRUPTED = 2, 1, 130
DEBUG = "FORECASTER_DEBUG"


def _os_error(err: OSError) -> str:
    """One line for an operating-system fault: what failed, on which file, what to do."""
    where = f": {err.filename}" if err.filename else ""
    reason = err.strerror or str(err) or type(err).__name__
    hint = {
        errno.ENOSPC: " (free some space; a forecast keeps its last checkpoint: resume=<dir>)",
        errno.EDQUOT: " (free some space; a forecast keeps its last checkpoint: resume=<dir>)",
        errno.EROFS: " (choose a writable directory)",
        errno.EACCES: " (choose a directory you may write)",
    }.get(err.errno or 0, "")
    return f"{reason}{where}{hint}"


#: What Ctrl-C leaves behind, per command (the one line it prints, exit 130).
INTERRUPTED = {
    "forecast": "interrupted (a forecast keeps its last checkpoint: resume=<dir> continues it)",
    "calibrate": "interrupted (a calibration writes its posterior once it finishes: run it again)",
}


def guarded(command: Callable[[], Any], interrupted: str = "interrupted") -> Any:
    """Run ``command`` so that every fault ends in one line and its exit code.

    A user's mistake (:class:`ConfigError`) exits 2, an operating-system fault 1, Ctrl-C 130,
    anything else (a bug) 1 with a pointer to ``FORECASTER_DEBUG=1``, which re-raises so the
    traceback shows. ``interrupted`` is the line for Ctrl-C (:data:`INTERRUPTED`).
    """
    from ._errors import ConfigError, EnvironmentFault

    try:
        return command()
    except SystemExit:
        raise
    except BaseException as err:
        if os.environ.get(DEBUG) == "1":
            raise
        if isinstance(err, ConfigError):
            fail(str(err))
        if isinstance(err, KeyboardInterrupt) or _interrupt.requested():
            fail(interrupted, EXIT_INTERRUPTED)  # also a fault a swallowed Ctrl-C caused
        if isinstance(err, OSError):
            fail(_os_error(err), EXIT_ENVIRONMENT)
        if isinstance(err, EnvironmentFault):
            fail(str(err), EXIT_ENVIRONMENT)
        if isinstance(err, MemoryError):
            fail("out of memory (try a smaller chunk_size)", EXIT_ENVIRONMENT)
        line = (str(err).strip().splitlines() or [""])[0]
        fail(
            f"internal error {type(err).__name__}: {line} (please report it; {DEBUG}=1 shows "
            "the traceback)",
            EXIT_ENVIRONMENT,
        )


def _run_hydra_app(name: str, config_name: str, task: Callable, args: Sequence[str]) -> int:
    """Run ``task`` as a Hydra app over ``args``.

    Hydra is asked to raise its errors (``HYDRA_FULL_ERROR=1`` for the call) rather than print
    a traceback and exit 1: :func:`guarded` turns a config Hydra cannot compose into one line
    and exit 2, and a directory it cannot create into one line and exit 1.
    """
    import hydra

    from ._config import check_overrides, register_configs
    from ._paths import conf_dir

    check_overrides(args)
    _quiet_library_logs()
    _persistent_compilation_cache()
    register_configs()  # plug-in models load here (FORECASTER_MODELS, entry points)
    from ._help import help_overrides
    from .models._plugins import searchpath_override

    ours = [*help_overrides(name, args), *searchpath_override()]
    sys.argv = [f"forecaster {name}", *with_overrides(args, ours)]
    app = hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name=config_name)(task)
    before = os.environ.get("HYDRA_FULL_ERROR")
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        app()
    except Exception as err:
        from ._config import hydra_error

        raise hydra_error(err, sys.argv[1:]) from err
    finally:
        if before is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = before
    return 0


def with_overrides(args: Sequence[str], ours: Sequence[str]) -> list[str]:
    """``args`` with our overrides placed just before the user's: Hydra's argument parser
    takes its overrides as one run of positionals, so an override split from the others by
    a flag (``--help``, ``-m``, ``--cfg job``) is refused. Hydra's own parser says which
    arguments are overrides (a user's ``hydra.searchpath``, after ours, replaces the
    plug-ins'); arguments it cannot parse are left for Hydra to refuse as it does."""
    from hydra._internal.utils import get_args_parser

    if not ours:
        return list(args)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            parsed, _ = get_args_parser().parse_known_args(list(args))
    except SystemExit:
        return [*args, *ours]
    flags = list(args)
    for override in parsed.overrides:
        flags.remove(override)
    return [*flags, *ours, *parsed.overrides]


def _quiet_library_logs() -> None:
    """Hydra logs at INFO: keep libraries' start-up chatter (no TPU here, optional ArviZ
    previews) out of the user's terminal."""
    import logging

    for name in ("jax._src.xla_bridge", "arviz", "arviz.preview"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _persistent_compilation_cache() -> None:
    """Reuse compiled kernels across runs (seconds saved per run), unless the user chose a
    cache already (JAX_COMPILATION_CACHE_DIR) or turned it off with an empty value."""
    import os

    import jax

    if "JAX_COMPILATION_CACHE_DIR" in os.environ:
        return
    cache = os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "forecaster", "jax"
    )
    jax.config.update("jax_compilation_cache_dir", cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


def _run_job(job: Callable, cfg, command: str) -> Any:
    """Run ``job(cfg, run_dir)`` inside a Hydra app and return what it returns: a user's
    mistake is one line, exit 2."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from ._engine import local_devices

    def run() -> Any:
        distributed = cfg.get("distributed")
        if not (distributed and distributed.enabled):  # jax.distributed must start it itself
            local_devices()  # a backend that cannot start is the environment's fault: say so
        return job(cfg, Path(HydraConfig.get().runtime.output_dir))

    # Inside the app: Hydra would print any exception escaping the task with its traceback.
    try:
        return guarded(run, INTERRUPTED.get(command, "interrupted"))
    except Failure as failure:  # one job of a sweep: the others go on (Ctrl-C stops them all)
        if HydraConfig.get().mode != RunMode.MULTIRUN or failure.code == EXIT_INTERRUPTED:
            raise
        from ._sweep import record_failure

        record_failure(Path(HydraConfig.get().runtime.output_dir), failure.code, failure.message)
        return float("nan") if cfg.get("objective") else None  # a failed trial, to a sweeper


def _forecast_task(cfg) -> float | None:
    """A forecast job; with ``objective=...`` it returns that number (for sweepers)."""
    from ._forecast import objective_of, run_forecast_job

    return _run_job(lambda c, d: objective_of(c, run_forecast_job(c, d)), cfg, "forecast")


def _calibrate_task(cfg) -> None:
    """A calibration job, then its report (report.html and report.md in the run directory)."""
    from .calibration import run_calibration

    def calibrate_and_report(c, run_dir: Path) -> None:
        run_calibration(c, run_dir)
        from .report import write_report

        print(f"report: {write_report(run_dir)}")

    _run_job(calibrate_and_report, cfg, "calibrate")


def _resume(args: list[str]) -> int:
    """``forecast resume=<dir> [key=value ...]``: continue a run in place.

    The run is rebuilt from its saved ``config.yaml`` (data checked against the schema), not
    by Hydra: nothing of ``.hydra/`` is replayed or rewritten, so a run directory cannot make
    forecaster call code. The engine refuses a setting that changes the run's numbers before
    a file is touched.
    """
    from ._forecast import run_forecast_job
    from ._rundir import resumed_config

    run_dir = Path([a for a in args if a.startswith("resume=")][-1].split("=", 1)[1])
    run_dir = run_dir.expanduser()
    from ._engine import local_devices

    cfg = resumed_config(run_dir, [a for a in args if not a.startswith("resume=")])
    local_devices()
    _quiet_library_logs()
    _persistent_compilation_cache()
    run_forecast_job(cfg, run_dir)
    return 0


def forecast(args: list[str]) -> int:
    if any(a.startswith("resume=") for a in args):
        return _resume(args)
    return _run_hydra_app("forecast", "forecast", _forecast_task, args)


def calibrate(args: list[str]) -> int:
    return _run_hydra_app("calibrate", "calibrate", _calibrate_task, args)


def report(args: list[str]) -> int:
    if len(args) != 1 or args[0].startswith("-"):
        fail("report takes one argument: a run or sweep directory")
    from .report import write_report

    write_report(Path(args[0]))
    return 0


def merge(args: list[str]) -> int:
    from ._merge import merge_main

    return merge_main(args)


def compare(args: list[str]) -> int:
    from ._compare_command import compare_main

    return compare_main(args)


def mix(args: list[str]) -> int:
    from ._mix import mix_main

    return mix_main(args)


def _trajectory_task(cfg) -> None:
    from ._trajectory import run_trajectory_job

    _run_job(run_trajectory_job, cfg, "trajectory")


def trajectory(args: list[str]) -> int:
    """``forecaster trajectory [overrides]``: the scenario's path at its prior medians."""
    if not any(a.startswith("hydra.run.dir=") for a in args):
        name = "${segment:scenario.name,${scenario.name}}"
        args = [f"hydra.run.dir='outputs/trajectory/{name}/${{now:%Y-%m-%d_%H-%M-%S}}'", *args]
    return _run_hydra_app("trajectory", "forecast", _trajectory_task, args)


def speedup(args: list[str]) -> int:
    """``forecaster speedup [key=value ...]``: the balanced-growth speed-up, printed."""
    from . import _validate as check
    from ._errors import ConfigError
    from .models.davidson_houlden._speedup import SPEEDUP_DEFAULTS, balanced_growth_speedup

    values: dict[str, float] = {}
    for arg in args:
        key, sep, text = arg.partition("=")
        if not sep or key not in SPEEDUP_DEFAULTS:
            raise ConfigError(
                key, text or None, f"key=value with a key of {list(SPEEDUP_DEFAULTS)}"
            )
        try:
            values[key] = float(text)
        except ValueError:
            raise ConfigError(key, text, "a number") from None
        check.finite(key, values[key])
    result = balanced_growth_speedup(**values)
    inputs = {**SPEEDUP_DEFAULTS, **values}
    print("inputs: " + ", ".join(f"{k}={v:g}" for k, v in inputs.items()))
    print(f"implied r = {result.r:.3g}, returns to compute = {result.r_compute:.3g}")
    print(f"software growth before automation: {100 * result.g_before:.4g}%/yr")
    if result.explosive:
        print(f"r_cog = {inputs['r_cog']:g} >= 1: no balanced path, a software-only explosion")
        print("speed-up: inf")
    else:
        print(f"software growth after automation (balanced path): {100 * result.g_after:.4g}%/yr")
        print(f"speed-up: {result.speedup:.4g}x")
    return 0


def serve(args: list[str]) -> int:
    """``forecaster serve [--host H] [--port P] [--time-limit S] [--no-token]
    [--calibrations D]``: the explorer, as a local server with a random token in the address
    it prints (``--no-token`` turns the token off), offering the posteriors of the
    calibration runs in ``D`` (default ``outputs/calibrate``); a port in use is one line,
    exit 1."""
    from . import _validate as check
    from ._errors import ConfigError

    allowed = {
        "--host": "127.0.0.1",
        "--port": "8050",
        "--time-limit": "120",
        "--calibrations": "outputs/calibrate",
    }
    values = dict(allowed)
    items = list(args)
    token = True
    while items:
        flag = items.pop(0)
        if flag == "--no-token":
            token = False
            continue
        key, sep, text = flag.partition("=")
        if key not in allowed:
            raise ConfigError(
                "serve", flag, f"options {list(allowed)} (each with a value) and --no-token"
            )
        if not sep:
            if not items:
                raise ConfigError(key, None, "a value")
            text = items.pop(0)
        values[key] = text
    host = check.text("--host", values["--host"])
    try:
        port = int(values["--port"])
    except ValueError:
        raise ConfigError("--port", values["--port"], "a whole number 1..65535") from None
    try:
        limit = float(values["--time-limit"])
    except ValueError:
        raise ConfigError("--time-limit", values["--time-limit"], "a number of seconds") from None
    port = check.integer("--port", port, 1, 65535)
    limit = check.number("--time-limit", limit, 0.0, 86400.0)
    calibrations = check.text("--calibrations", values["--calibrations"])
    from ._serve import serve as run_server

    run_server(host, port, limit, token=token, calibrations=calibrations)
    return 0


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "forecast": forecast,
    "calibrate": calibrate,
    "report": report,
    "merge": merge,
    "compare": compare,
    "mix": mix,
    "serve": serve,
    "speedup": speedup,
    "trajectory": trajectory,
}


# The libraries each command needs, imported with Ctrl-C deferred (:func:`_interrupt.deferred`).
_LIBRARIES = {
    "calibrate": ("numpy", "jax", "hydra", "numpyro", "arviz", "matplotlib"),
    "speedup": (),
}


def _import_libraries(command: str) -> None:
    """Import the heavy libraries ``command`` uses, at once (a Ctrl-C meanwhile waits)."""
    import importlib

    for name in _LIBRARIES.get(command, ("numpy", "jax", "hydra", "numpyro")):
        importlib.import_module(name)


def _configure_xla() -> None:
    """forecaster's XLA:CPU settings (``_xla``): the scheduler, and a device per core (the
    engine shards each call over the devices, so a forecast uses every core)."""
    from ._xla import configure_cpu_devices, configure_cpu_scheduler

    configure_cpu_scheduler()
    configure_cpu_devices()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line, callable in-process (the tests do); :func:`run` is the console script.

    Ctrl-C is one line and exit 130 from the first statement on: importing forecaster imports
    no JAX (forecaster/__init__.py), and the heavy libraries are imported with Ctrl-C deferred
    (a KeyboardInterrupt inside a library's import leaves it half-initialised)."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    interrupted = INTERRUPTED.get(command, "interrupted")
    try:
        if not args or command in ("-h", "--help", "help"):
            print(USAGE)
            return 0
        if command not in COMMANDS:
            fail(f"command={command!r} is not allowed: one of {list(COMMANDS)}")
        with _interrupt.deferred():
            _import_libraries(command)
        _configure_xla()  # before any JAX backend starts: XLA reads its flags then
        code = guarded(lambda: COMMANDS[command](args[1:]), interrupted)
        _interrupt.check()  # a Ctrl-C swallowed on the way is no success
        return code
    except KeyboardInterrupt:
        if os.environ.get(DEBUG) == "1":
            raise
        fail(interrupted, EXIT_INTERRUPTED)


def run() -> NoReturn:
    """The ``forecaster`` console script and ``python -m forecaster``: :func:`main`, then the
    exit. An interrupted run leaves at once (streams flushed, ``os._exit``): JAX's and
    NumPyro's worker threads may still be running, and the interpreter's shutdown under them
    can crash (a segfault after the line was printed). Here, not in :func:`main`, SIGINT is
    recorded as well (:func:`forecaster._interrupt.install`): a process-wide switch for the
    command's own process only."""
    _interrupt.install()
    try:
        code = main()
    except SystemExit as done:
        if done.code != EXIT_INTERRUPTED:
            raise
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    sys.exit(code)


if __name__ == "__main__":
    run()
