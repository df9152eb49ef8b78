"""All-things-considered mixtures of finished runs (``forecaster mix <run dir>=<weight> ...
--out DIR``): a standard run directory whose numbers are the weighted mixture of its parts.

A mixture with weights w_i (normalised to sum to 1) of runs with n_i finite draws each is the
distribution that draws run i with probability w_i. Its probability of an event is
p = sum w_i p_i, exactly the weighted average of the parts' (each p_i = k_i / n_i is an exact
count), and its Monte Carlo variance is the estimator's own, sum w_i^2 p_i (1 - p_i) / n_i
(independent runs); the 95% interval is Wilson's at the mixture's effective sample size
(Kish's, 1 / sum w_i^2 / n_i: one part gives its own interval). Dates and durations are
mixed as histograms (the weighted fractions of the parts' exact counts, summary.json
``common``), so their quantiles are the mixture's own. What the mixture has is what every
part answers: the probability grid's cells all parts have, their shared flags, the common
outcomes (a question any part cannot answer stays unanswered, with which part and why).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._common import QUESTIONS, date_distribution, histogram_from_record, years_distribution
from ._errors import ConfigError
from ._summaries import wilson_interval

USAGE = "mix <run dir>=<weight> <run dir>=<weight> ... --out <dir>"


def mixed_proportion(
    ps: Sequence[float], ns: Sequence[int], weights: Sequence[float]
) -> dict[str, float | None]:
    """The mixture's p = sum w_i p_i, its standard error sqrt(sum w_i^2 p_i (1 - p_i) / n_i)
    and the Wilson interval at the effective sample size 1 / sum w_i^2 / n_i."""
    if any(n == 0 or p is None for p, n in zip(ps, ns, strict=True)):
        return {"p": None, "se": None, "ci_low": None, "ci_high": None, "n_effective": None}
    p = float(sum(w * q for w, q in zip(weights, ps, strict=True)))
    p = min(max(p, 0.0), 1.0)  # rounding of a sum of weights
    variance = sum(w * w * q * (1 - q) / n for w, q, n in zip(weights, ps, ns, strict=True))
    n_eff = _effective(ns, weights)
    low, high = wilson_interval(p * n_eff, n_eff)
    return {
        "p": p,
        "se": math.sqrt(variance),
        "ci_low": float(low),
        "ci_high": float(high),
        "n_effective": n_eff,
    }


def _mixed_histogram(records: Sequence[Mapping], weights: Sequence[float]):
    """The weighted fractions of the parts' histograms (each normalised by its own n)."""
    total = None
    spec = None
    for record, w in zip(records, weights, strict=True):
        values, this = histogram_from_record(record)
        if spec is not None and this != spec:
            return None, None
        spec = this
        n = values.sum()
        if n == 0:
            return None, None
        total = w * values / n if total is None else total + w * values / n
    return total, spec


def _effective(ns: Sequence[int], weights: Sequence[float]) -> float:
    """Kish's effective sample size of a mixture of runs of ``ns`` draws: 1 / sum w^2 / n."""
    return 1.0 / sum(w * w / n for w, n in zip(weights, ns, strict=True))


def _mixed_answer(question: str, entries: Sequence[Mapping], weights: Sequence[float]):
    """One common question mixed, or why not."""
    if not all(isinstance(e.get("histogram"), dict) for e in entries):
        return "a part's summary.json has no histogram of it (written before mixtures)"
    fractions, spec = _mixed_histogram([e["histogram"] for e in entries], weights)
    if fractions is None:
        return "the parts' histograms differ (or a part has no draws)"
    ns = [int(e["n"]) for e in entries]
    n_eff = _effective(ns, weights)
    labels = list(dict.fromkeys(str(e.get("label", "")) for e in entries))
    sample = max(int(n_eff), 1)  # the quantiles' intervals, at the effective sample size
    distribution = (
        years_distribution(fractions, spec, sample)
        if question == "between"
        else date_distribution(fractions, sample)
    )
    return {
        "label": " / ".join(labels),
        "source": "mixture",
        "n": sum(ns),
        "n_effective": n_eff,
        **distribution,
    }


def _mixed_common(parts: Sequence[Mapping], labels: Sequence[str], weights: Sequence[float]):
    out: dict[str, Any] = {"unanswered": {}}
    for question in QUESTIONS:
        entries = [(p.get("common") or {}).get(question) for p in parts]
        missing = [label for label, e in zip(labels, entries, strict=True) if not e]
        if missing:
            out[question] = None
            out["unanswered"][question] = f"part(s) {', '.join(missing)} cannot answer it"
        elif question == "sie":
            out[question] = {"label": entries[0]["label"], "source": "probabilities"}
        else:
            answer = _mixed_answer(question, entries, weights)
            out[question] = answer if isinstance(answer, dict) else None
            if isinstance(answer, str):
                out["unanswered"][question] = answer
    return out


def _mixed_probabilities(parts: Sequence[Mapping], weights: Sequence[float]) -> list[dict]:
    """The grid's cells every part has, mixed."""
    tables = [{(r["years"], r["window_months"]): r for r in p.get("probabilities") or []}
              for p in parts]  # fmt: skip
    rows = []
    for key in tables[0]:
        cells = [t.get(key) for t in tables]
        if any(c is None for c in cells):
            continue
        ns = [int(c["n"]) for c in cells]
        mixed = mixed_proportion([c["p"] for c in cells], ns, weights)
        rows.append({"years": key[0], "window_months": key[1], "n": sum(ns), **mixed})
    return rows


def _mixed_flags(parts: Sequence[Mapping], weights: Sequence[float]) -> dict[str, Any]:
    names = [set(p.get("flags") or {}) for p in parts]
    shared = [n for n in (parts[0].get("flags") or {}) if all(n in s for s in names)]
    out = {}
    for name in shared:
        ps = [p["flags"][name]["p"] for p in parts]
        ns = [int(p.get("finite_draws") or 0) for p in parts]
        mixed = mixed_proportion(ps, ns, weights)
        out[name] = {k: mixed[k] for k in ("p", "se", "ci_low", "ci_high")}
    return out


def parse_parts(items: Sequence[str]) -> list[tuple[Path, float]]:
    """``<run dir>=<weight>`` arguments, each weight a positive finite number."""
    parts = []
    for item in items:
        path, sep, weight = item.rpartition("=")
        try:
            value = float(weight) if sep else math.nan
        except ValueError:
            value = math.nan
        if not sep or not path or not (math.isfinite(value) and value > 0):
            raise ConfigError("mix.parts", item, f"<run dir>=<positive weight>: {USAGE}")
        parts.append((Path(path), value))
    if len(parts) < 2:
        raise ConfigError("mix.parts", list(items), f"two or more runs with weights: {USAGE}")
    return parts


#: The most runs a mixture of the explorer's (its page's panels) takes.
MAX_PARTS = 8


def job_parts(value: Any) -> list[tuple[str, float]]:
    """A page's mixture request, ``{"parts": [{"job": id, "weight": w}, ...]}`` (2 to
    :data:`MAX_PARTS` parts, each weight a positive finite number), as (job id, weight)."""
    parts = value.get("parts") if isinstance(value, dict) else None
    allowed = f'{{"parts": [{{"job": <id>, "weight": <w > 0>}}, ...]}}: 2 to {MAX_PARTS} runs'
    if not isinstance(parts, list) or not 2 <= len(parts) <= MAX_PARTS:
        raise ConfigError("mix.parts", "(request)", allowed)
    out = []
    for part in parts:
        job = part.get("job") if isinstance(part, dict) else None
        weight = part.get("weight") if isinstance(part, dict) else None
        number = isinstance(weight, int | float) and not isinstance(weight, bool)
        if not isinstance(job, str) or not number or not (math.isfinite(weight) and weight > 0):
            raise ConfigError("mix.parts", "(request)", allowed)
        out.append((job, float(weight)))
    return out


def mix_summaries(
    summaries: Sequence[Mapping[str, Any]], weights: Sequence[float], sources: Sequence[str]
) -> dict[str, Any]:
    """The mixture's summary (summary.json's form) of runs' checked summaries, with weights
    (positive; normalised here) and where each came from (a path, a job)."""
    total = sum(weights)
    weights = [w / total for w in weights]
    labels = [f"{s.get('scenario', 'run')} ({i + 1})" for i, s in enumerate(summaries)]
    probabilities = _mixed_probabilities(summaries, weights)
    settings = {"windows_months": sorted({r["window_months"] for r in probabilities}),
                "progress_years": sorted({r["years"] for r in probabilities})}  # fmt: skip
    record = [
        {
            "path": source,
            "scenario": s.get("scenario"),
            "model": (s.get("model") or {}).get("title"),
            "weight": w,
            "finite_draws": s.get("finite_draws"),
            "fingerprint": s.get("fingerprint"),
            "condition": s.get("condition"),
        }
        for source, s, w in zip(sources, summaries, weights, strict=True)
    ]
    fingerprint = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "scenario": "mixture",
        "model": {
            "name": "mixture",
            "title": "Mixture of " + ", ".join(str(s.get("scenario")) for s in summaries),
        },  # fmt: skip
        "mixture": {"parts": record},
        "n_draws": sum(int(s.get("n_draws") or 0) for s in summaries),
        "draws_done": sum(int(s.get("draws_done") or 0) for s in summaries),
        "finite_draws": sum(int(s.get("finite_draws") or 0) for s in summaries),
        "non_finite": sum(int(s.get("non_finite") or 0) for s in summaries),
        "probabilities": probabilities,
        "flags": _mixed_flags(summaries, weights),
        "common": _mixed_common(summaries, labels, weights),
        "headline": {"kind": "progress" if probabilities else "milestones"},
        "settings": settings,
        "fingerprint": fingerprint,
    }


def mix_runs(parts: Sequence[tuple[Path, float]], out_dir: Path) -> dict[str, Any]:
    """Write the mixture of ``parts`` (run directory, weight) into ``out_dir`` as a run
    directory (its summary.json; the command writes the report) and return its summary.

    Raises:
        ConfigError: a part that is not a finished run, the output a part's directory.
    """
    from ._files import refuse_linked_directory, write_atomic
    from .report._load import load_run

    runs = [load_run(path) for path, _ in parts]
    out_dir = Path(out_dir)
    for path, _ in parts:
        if out_dir.resolve() == path.resolve():
            raise ConfigError("--out", str(out_dir), "a directory other than the parts'")
    summary = mix_summaries(
        [run.summary for run in runs],
        [w for _, w in parts],
        [str(run.path.resolve()) for run in runs],
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    refuse_linked_directory(out_dir, "--out")
    write_atomic(out_dir / "summary.json", json.dumps(summary, indent=2, allow_nan=False))
    return summary


def mix_main(args: list[str]) -> int:
    """``forecaster mix <run dir>=<weight> ... --out <dir>``."""
    if "--out" not in args or args.index("--out") == len(args) - 1:
        raise ConfigError("--out", None, f"an output directory: {USAGE}")
    at = args.index("--out")
    out_dir = Path(args[at + 1])
    parts = parse_parts(args[:at] + args[at + 2 :])
    summary = mix_runs(parts, out_dir)
    from .report import write_report

    write_report(out_dir)
    weights = ", ".join(f"{p['scenario']} {p['weight']:.3g}" for p in summary["mixture"]["parts"])
    print(f"mixture of {weights}: {out_dir}", file=sys.stdout)
    return 0
