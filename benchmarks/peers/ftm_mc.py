"""Epoch's Full Takeoff Model (Davidson et al. 2023): their Monte Carlo, draw by draw.

    /tmp/ftm-venv/bin/python -m benchmarks.peers.ftm_mc --repo <checkout of
        github.com/epoch-research/ftm> [--draws 300] [--seed 0] [--start 0]
        [--out benchmarks/results/peers/ftm_mc_draws.jsonl]
    /tmp/ftm-venv/bin/python -m benchmarks.peers.ftm_mc --repo <checkout> --summarise
    /tmp/ftm-venv/bin/python -m benchmarks.peers.ftm_mc --rebuild-inputs --mirror <bare clone>

Run it, as ``benchmarks.peers.ftm``, from this checkout's root with an interpreter that has
their dependencies (that module's docstring; the Monte Carlo also needs their
``statsmodels==0.14.1``, ``seaborn==0.12.2``, ``jinja2==3.1.3``, and ``scipy==1.12.0`` of their
poetry.lock). Their code (MIT license) is imported from the checkout, never copied here.

Their Monte Carlo reads its inputs from their Google spreadsheet: the parameter table
(Conservative / Best guess / Aggressive / Type per parameter), the rank correlations between
parameters, and Cotra's CDF of the training FLOP for full automation. The sheet cannot be
reached from here, so ``ftm_mc_inputs.json`` holds them as rebuilt from the repository's
history (``--rebuild-inputs``, see ``rebuild_inputs`` and the file's ``provenance``), and
they are put where their code looks first, at run time: their caches ``cached_param_table``
and ``cached_rank_correlations`` of ``ftm/core/utils.py`` (their ``get_parameter_table`` and
``get_rank_correlations`` then return them, the former still applying its own
``tradeoff_enabled=True`` override), and their ``get_ajeya_dist`` replaced by one returning the
CDF table (their ``get_clipped_ajeya_dist``, which calls it, is left as it is).
``urllib.request.urlopen`` is made to fail, so nothing is downloaded.

Each draw is what one trial of their ``mc_analysis`` (``ftm/analysis/mc_analysis.py``) does:
``TakeoffParamsDist(parameter_table=get_parameter_table(tradeoff_enabled=True)[['Conservative',
'Best guess', 'Aggressive', 'Type']], max_frac_automatable_tasks_goods=0,
max_frac_automatable_tasks_rnd=0.05, resampling_method='all_but_training_requirements',
aggressive=False)`` built once, then per trial ``params_dist.rvs(1)`` (a training requirement
drawn from Cotra's CDF until ``sample_is_admissible``, then the Gaussian copula conditioned on it
until ``sample_is_good``), ``SimulateTakeOff(**params, t_start=2022, t_end_min=2100,
compute_shares=False).run_simulation()``, and a sample whose drawing, construction or run
raises is discarded and the trial tried again, up to their ``max_retries`` (100). What
differs from their own run: (1) their code draws with ``random_state=None``, that is from
NumPy's global ``RandomState``; here it is seeded per draw, ``np.random.seed([seed, i])``
before draw ``i``, so that a run resumed with ``--start`` gives the same draws as one run
straight through (theirs is one unseeded stream for all trials); (2) their
``handle_exception`` (overflow under ``np.errstate(invalid='raise')``) does not pickle the
model with dill, as in ``benchmarks.peers.ftm``, and whether it ran is recorded; (3) their
logging is set to errors only (it prints every retry); (4) nothing else of ``mc_analysis`` is
run (the "no automation" runs for the years-before-automation tables, the plots, the report).

Writes one JSON line per accepted draw to ``--out`` (appended): ``sample``, ``seconds``,
``tries`` (their outer loop's attempts: 1 + ``exceptions``), ``exception_messages``,
``admissible_checks`` / ``inadmissible`` (calls of their ``sample_is_admissible`` and how many
said no), ``good_checks`` / ``not_good`` (the same for ``sample_is_good``), ``parameters``
exactly as passed to ``SimulateTakeOff`` (every key, Python floats, full precision), their
``timeline_metrics`` and ``takeoff_metrics`` raw (NaN as null: ``mc_analysis`` would replace a
NaN date by t_end), ``doubling_times``, ``n_timesteps``, ``t_end``, ``overflow`` and its
message, and ``slow_takeoff`` (their ``is_slow_takeoff(model)``). ``--summarise`` writes
``ftm_mc.json`` (their commit, the seed and how it is used, draws, seconds per draw, rejection
counts, the inputs file's SHA-256, the sampler as their code built it: each marginal's class
and parameters, the ``directions``, the final ``pairwise_rank_corr``, the lowest admissible
training requirement found by bisection on their ``sample_is_admissible``, and summary
statistics of the draws) and the committed table ``ftm_mc_draws.csv.gz``: one row per draw,
the counts, every parameter and metric, 12 significant digits.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import platform
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from . import commit_of, plain

RESULTS = Path(__file__).resolve().parents[1] / "results" / "peers"
INPUTS = RESULTS / "ftm_mc_inputs.json"
REPOSITORY = "https://github.com/epoch-research/ftm"
#: Their mc_analysis settings (ftm/analysis/mc_analysis.py, HEAD 99dc907).
SAMPLER = {
    "max_frac_automatable_tasks_goods": 0,
    "max_frac_automatable_tasks_rnd": 0.05,
    "resampling_method": "all_but_training_requirements",
    "aggressive": False,
}
MAX_RETRIES = 100
#: Where the inputs were found in their history (``--rebuild-inputs``).
SOURCES = {
    "presets": ("e941224", "website/src/js/presets.js"),
    "report": ("1cccff1", "website/src/reports.html"),
    "types": ("5afca34", "website/src/megareport.html"),
}
#: Metrics summarised in ftm_mc.json (dates: NaN counts as not reached by t_end).
SUMMARY_DATES = ("automation_gns_20%", "automation_gns_100%", "automation_rnd_20%",
                 "automation_rnd_100%", "sub_agi_year", "agi_year", "rampup_start")  # fmt: skip
SUMMARY_DURATIONS = ("full_automation_gns", "full_automation_rnd", "sub_agi_to_agi",
                     "gwp_growth", "cog_output_multiplier")  # fmt: skip
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Their inputs, rebuilt from their repository's history
# --------------------------------------------------------------------------------------------


def _git_show(mirror: Path, commit: str, path: str) -> tuple[str, str]:
    """The text of ``path`` at ``commit`` in a bare clone, and the blob's id."""
    blob = subprocess.run(["git", "--git-dir", str(mirror), "rev-parse", f"{commit}:{path}"],
                          check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    text = subprocess.run(["git", "--git-dir", str(mirror), "cat-file", "-p", blob],
                          check=True, capture_output=True).stdout  # fmt: skip
    return text.decode("utf-8", errors="replace"), blob


def _html_tables(html: str) -> list[dict[str, Any]]:
    """Every table of one of their HTML reports: the section (the id of the h2/h3 before it),
    the modal it sits in, the column ids (``data-param-id`` where present, else the text) and
    the rows (first cell's ``data-param-id`` or text, then the cells' text)."""
    from bs4 import BeautifulSoup

    html = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", html)
    soup = BeautifulSoup(re.sub(r"<svg.*?</svg>", "", html, flags=re.S), "html.parser")
    tables = []
    for table in soup.find_all("table"):
        rows = table.find_all("tr")
        if not rows:
            continue
        heading = table.find_previous(["h2", "h3"])
        modal = table.find_parent("div", class_="modal")

        def key(cell: Any) -> str:
            return cell.get("data-param-id") or cell.get_text(strip=True)

        body = []
        for row in rows[1:]:
            cells = row.find_all(["th", "td"])
            if cells:
                body.append([key(cells[0])] + [c.get_text(strip=True) for c in cells[1:]])
        tables.append({
            "section": heading.get("id") if heading else None,
            "modal": modal.get("id") if modal else None,
            "columns": [key(c) for c in rows[0].find_all(["th", "td"])],
            "rows": body,
            "text_before": (table.find_previous("p").get_text(" ", strip=True)[:300]
                            if table.find_previous("p") else ""),
        })  # fmt: skip
    return tables


def _probabilities(html: str) -> dict[str, str]:
    """The "Probability of ..." lines of their report's Monte Carlo tab."""
    from bs4 import BeautifulSoup

    start = html.index('data-id="mc_analysis"')
    text = BeautifulSoup(html[start : start + 5000], "html.parser").get_text(" ", strip=True)
    return dict(re.findall(r"Probability of ([A-Za-z0-9 ]+?) : ([0-9.]+%)", text))


def _number(text: str) -> float | None:
    return None if text in ("", "NaN", "nan") else float(text)


def rebuild_inputs(mirror: Path) -> dict[str, Any]:
    """Their Monte Carlo inputs from the history of their repository (see ``provenance`` in
    the result). ``mirror`` is a bare clone with the blobs named in ``SOURCES``."""
    presets_text, presets_blob = _git_show(mirror, *SOURCES["presets"])
    head_presets_text, head_presets_blob = _git_show(mirror, "HEAD", SOURCES["presets"][1])
    if head_presets_blob != presets_blob:
        raise SystemExit("presets.js at HEAD is not the e941224 blob: revisit the sources")
    presets = {m[1]: json.loads(m[2])
               for m in re.finditer(r"^let (\w+) = (\{.*\});$", presets_text, re.M)}  # fmt: skip
    report_html, report_blob = _git_show(mirror, *SOURCES["report"])
    types_html, types_blob = _git_show(mirror, *SOURCES["types"])
    report = _html_tables(report_html)
    three = ["Conservative", "Best guess", "Aggressive"]
    mc_table = next(t for t in report if t["section"] == "mc_analysis-inputs"
                    and t["modal"] is None and t["columns"][1:4] == three)  # fmt: skip
    sa_table = next(t for t in report if t["section"] == "parameter_importance_analysis-inputs"
                    and t["columns"][1:4] == three)  # fmt: skip
    rank_table = next(t for t in report if t["modal"] == "rank-correlations-modal")
    ajeya_table = next(t for t in report if t["modal"] == "ajeya-modal")
    stats_table = next(t for t in report if t["modal"] == "input-stats-modal")
    mc_results = next(t for t in report if t["section"] == "parameter_importance_analysis-inputs"
                      and t["columns"][0] == "Quantile")  # fmt: skip
    probabilities = _probabilities(report_html)
    type_table = next(t for t in _html_tables(types_html)
                      if t["columns"][1:5] == [*three, "Type"])  # fmt: skip
    aug_types = {r[0]: r[4] for r in type_table["rows"] if len(r) == 5}

    # The MC table shows "sampled from Cotra's distribution" for the training requirements:
    # their sensitivity-analysis table of the same report has that row's numbers.
    sa_rows = {r[0]: r[1:4] for r in sa_table["rows"]}
    report_rows = {r[0]: r[1:4] if len(r) >= 4 else sa_rows[r[0]] for r in mc_table["rows"]}
    cons, best, aggr = (presets[f"{k}_parameters"]
                        for k in ("conservative", "best_guess", "aggressive"))  # fmt: skip
    names = [k for k in best if k != "runtime_training_tradeoff_enabled"]
    if list(report_rows) != names:
        raise SystemExit("the Dec 2022 report and presets.js list different parameters")
    src_presets = (
        f"website/src/js/presets.js@{SOURCES['presets'][0]} (blob {presets_blob[:10]} = HEAD's)"
    )
    src_report = f"website/src/reports.html@{SOURCES['report'][0]} (blob {report_blob[:10]})"
    src_types = f"website/src/megareport.html@{SOURCES['types'][0]} (blob {types_blob[:10]})"
    parameters: dict[str, Any] = {}
    for name in names:
        dec = [_number(x) for x in report_rows[name]]
        ranged = dec[0] is not None and dec[2] is not None
        if not ranged and not cons[name] == best[name] == aggr[name]:
            raise SystemExit(f"{name}: blank range in the report but a range in presets.js")
        entry: dict[str, Any] = {
            "conservative": cons[name] if ranged else None,
            "best_guess": best[name],
            "aggressive": aggr[name] if ranged else None,
            "type": aug_types.get(name),
            "sources": {
                "conservative": src_presets if ranged else f"blank in {src_report}",
                "best_guess": src_presets,
                "aggressive": src_presets if ranged else f"blank in {src_report}",
                "type": f"'Type' column of {src_types} (Aug 2022)",
            },
        }
        if not aug_types.get(name):
            entry["type"] = None
            entry["sources"]["type"] = "not in the Aug 2022 table: unknown"
        head = [entry["conservative"], entry["best_guess"], entry["aggressive"]]
        if any((a is None) != (b is None) or (a is not None and abs(a - b) > 5e-7 * abs(b))
               for a, b in zip(dec, head, strict=True)):  # fmt: skip
            entry["dec2022_report"] = dec
        parameters[name] = entry
    # Types the Aug 2022 table does not give, for the parameters that vary: assumptions.
    parameters["full_automation_requirements_training"]["type"] = "pos"
    parameters["full_automation_requirements_training"]["sources"]["type"] = (
        "assumed 'pos' (the Aug 2022 table shows 'sampled from Cotra's distribution' in its "
        "place); only used to build a SkewedLogUniform that their get_marginals then replaces "
        "by AjeyaDistribution, so it has no effect"
    )
    parameters["money_cap_training_before_wakeup"]["type"] = "pos"
    parameters["money_cap_training_before_wakeup"]["sources"]["type"] = (
        "assumed 'pos' (parameter added after Aug 2022); with values 4e8..2e10 only 'pos' and "
        "'inv_frac' are valid, and they give the same draws to ~1e-8 relative"
    )
    # Tradeoff rows: their get_parameter_table(tradeoff_enabled=True) writes them itself.
    for key in ("conservative", "best_guess", "aggressive"):
        parameters["runtime_training_tradeoff"]["sources"][key] = (
            "set by their get_parameter_table(tradeoff_enabled=True) (ftm/core/utils.py) to 3, "
            "1.5, 0.8 whatever the sheet says; presets.js has the same"
        )

    order = rank_table["columns"][1:]
    if [r[0] for r in rank_table["rows"]] != order:
        raise SystemExit("rank correlation table: rows and columns differ")
    entries = [[r[0], c, float(v)] for r in rank_table["rows"]
               for c, v in zip(order, r[1:], strict=True) if v != ""]  # fmt: skip
    cdf_rows = [[float(v), float(p)] for v, p in ajeya_table["rows"]]
    stats_q = stats_table["columns"][1:]
    return {
        "what": "Their Monte Carlo inputs (the three sheets their mc_analysis reads), rebuilt "
        "from the history of github.com/epoch-research/ftm: see provenance",
        "their_head": "99dc907095fb127c5f5dd24e61a534a2871eaddd",
        "rebuilt_with": "python -m benchmarks.peers.ftm_mc --rebuild-inputs --mirror <bare clone>",
        "parameter_order": names,
        "parameters": parameters,
        "simulation_arguments": {
            "not in the table": [
                "t_start",
                "t_end",
                "t_step",
                "dynamic_t_end",
                "t_end_max",
                "t_end_min",
                "compute_shares",
                "disable_automation",
                "n_labour_tasks",
            ],
            "mc_analysis passes": {
                "t_start": "get_option('t_start') = 2022",
                "t_end_min": "get_option('t_end') = 2100 (no effect: dynamic_t_end is False)",
                "compute_shares": False,
            },
            "defaults": "t_end and t_step from their config.yml (2100, 0.1), dynamic_t_end False, "
            "disable_automation from config (False), n_labour_tasks 100",
        },  # fmt: skip
        "rank_correlations": {
            "source": f"'Rank correlations' modal of the mc_analysis section of {src_report}: "
            "their results.rank_correlations.fillna(''), i.e. get_rank_correlations() as read "
            "from the sheet for that run (Dec 16, 2022); blank cells are NaN",
            "order": order,
            "layout": "entries are (row, column, value) for every non-blank cell: the strict "
            "lower triangle in this order (zeros included); the diagonal and upper triangle are "
            "blank (NaN). Their process_correlations reads matrix[right][left], i.e. row left, "
            "column right, so each pair is taken once",
            "entries": entries,
            "nonzero": sum(1 for e in entries if e[2] != 0),
        },  # fmt: skip
        "cotra_training_flop_cdf": {
            "source": f"'ajeya-modal' table of {src_report}: their results.ajeya_cdf = "
            "AjeyaDistribution().cdf_pd, the sheet's columns 0 and 1 as read by get_ajeya_dist "
            "(ajeya_dist_url, gid 1177136586) for that run (Dec 16, 2022)",
            "columns": [c for c in ajeya_table["columns"]],
            "precision": "as printed: log10 FLOP to 6 decimals, probability to 7 significant "
            "digits (the v grid is 21 + k*40/4999, k = 0..4998, to that precision, then two "
            "rows at 100)",
            "clipping": "none applied by their code at HEAD: AjeyaDistribution(lower_bound=None) "
            "calls get_clipped_ajeya_dist(lower_bound=None), which returns the table unchanged "
            "(it would, given a lower bound L, find i = first row with log10 FLOP >= log10 L, "
            "subtract p[i] from rows i.., zero rows ..i-1 and divide rows i.. by the last p). "
            "The table itself is 0 up to 10^24.0166 and first positive (1.2e-7) at 10^24.0246, "
            "i.e. it arrives clipped from the sheet; it ends with 0.9599881 at 10^60.99 then "
            "(100, 0.97) and (100, 1.0): 3% spread log-uniformly over 1e61..1e100 by the "
            "interpolation and 3% at 1e100 (never automated by 2100)",
            "rows": cdf_rows,
        },  # fmt: skip
        "aggressive_cotra_training_flop_cdf": None,
        "their_published_mc_dec2022": {
            "source": f"mc_analysis section of {src_report} (1000 samples, the code and inputs "
            "of Dec 16, 2022: not HEAD's; see provenance)",
            "probabilities": probabilities,
            "metric_quantiles": {"columns": mc_results["columns"], "rows": mc_results["rows"]},
            "input_quantiles": {"columns": stats_q, "rows": stats_table["rows"]},
        },
        "provenance": PROVENANCE,
    }


PROVENANCE = {
    "summary": (
        "No copy of their spreadsheet (xlsx, csv or cache) was ever committed. The inputs come "
        "from three committed files: (1) website/src/js/presets.js at e941224 (2023-01-09; the "
        "same blob is at HEAD 99dc907), which their website/gen.py writes from "
        "get_parameter_table(tradeoff_enabled=True): conservative_parameters is the "
        "Conservative column where Aggressive is not NaN and Best guess elsewhere, "
        "aggressive_parameters the same with Aggressive, best_guess_parameters the Best guess "
        "column, at full float precision; (2) website/src/reports.html at 1cccff1 "
        "(2022-12-16), the last version of their published reports whose blob the mirror "
        "has (the 14 later versions, up to 6082c6e of 2023-07-06, are missing from it): its "
        "Monte Carlo section prints the parameter table (Type dropped, NaN blank), the rank "
        "correlation matrix, Cotra's CDF table, the quantiles of the 1000 sampled inputs and "
        "the MC results; (3) website/src/megareport.html at 5afca34 (2022-08-25), the last "
        "version whose MC inputs table still has the 'Type' column."
    ),
    "parameters": (
        "Conservative / Best guess / Aggressive: presets.js (closest to HEAD, full precision). "
        "Which rows have no range (Conservative and Aggressive NaN, a PointDistribution): the "
        "blanks of the Dec 2022 report table; for each such row presets.js indeed has "
        "conservative == best guess == aggressive, and every row with a range in the report "
        "has one in presets.js. The report (7 significant digits) agrees with presets.js on "
        "every value but three parameters, whose Dec 16 values are kept as dec2022_report: "
        "full_automation_requirements_runtime (3.1536e27 / 5.256e23 / 3.1536e22 in Dec are "
        "the same numbers per year: the model at HEAD multiplies by seconds_per_year), "
        "flop_gap_runtime best guess (3 in Dec, 10 from Dec 27 on) and "
        "goods_vs_rnd_requirements_runtime (3 / 30 / 100 in Dec, 30 / 100 / 300 from Dec 27 "
        "on). Their sheet may have changed after 2023-01-09 (the workbook id in config.yml "
        "changed on 2024-01-26, 9a43888); nothing committed after that date records it."
    ),
    "types": (
        "Only the Aug 2022 megareport prints the Type column. It is used for every parameter "
        "it lists (values changed since for some; Type is the kind of quantity: pos, neg, "
        "frac, inv_frac). Checked against the Dec 2022 report's quantiles of 1000 sampled "
        "inputs (SkewedLogUniform CDF of each kind at the sampled quantiles, in sampling "
        "standard errors): inv_frac is clearly right for runtime_training_max_tradeoff and "
        "flop_gap_runtime (heavy mass near 1), frac for rnd_parallelization_penalty and "
        "initial_cognitive_share_goods, neg for the substitution parameters, pos for the "
        "growth rates and goods_vs_rnd_requirements_training; for the small fractions "
        "(the *_ceiling parameters, rampup_trigger, compute_depreciation) pos and frac "
        "differ by a few percent and reports of different dates favour one or the other, so "
        "the Aug 2022 'frac' is kept. No row with a range is 'delta' (a PointDistribution): "
        "every one of them varies in the Dec 2022 sampled inputs. Two varying parameters "
        "have no recorded type: full_automation_requirements_training (no effect, replaced "
        "by Cotra's CDF) and money_cap_training_before_wakeup (pos assumed; inv_frac gives "
        "the same draws). Point parameters added after Aug 2022 have type null: their code "
        "ignores the type of a row without a range."
    ),
    "rank_correlations": (
        "The matrix of the Dec 16, 2022 report, 60 x 60 (every table parameter but "
        "research_experiments_substitution_software, compute_software_rnd_experiments_"
        "efficiency, initial_population, initial_experiment_share_software_rnd, "
        "money_cap_training_before_wakeup and the two steepness parameters), the strict lower "
        "triangle filled (397 nonzero cells). It is the last recoverable state: it changed "
        "between the Dec 12, Dec 14 and Dec 16 reports (e.g. the sign of the software_ceiling "
        "rows, the runtime_training_max_tradeoff rows added), so the sheet at HEAD may differ. "
        "Their default (no --use-website-rank-correlations) reads the workbook's 'Rank "
        "correlations' sheet, which is what that report shows. The website's own correlations "
        "(config website_rank_correlations_url, gid 2008306353) were never committed."
    ),
    "cotra_cdf": (
        "The table of the Dec 16, 2022 report, as printed (see its 'precision'). It changed "
        "on Dec 14 between 123f876 and 85ba51e (e.g. P(<=1e36) 0.489 -> 0.485) and is the "
        "same in 85ba51e and 1cccff1; earlier reports show tables clipped by their code at "
        "a lower bound (lowest_training_requirements, removed on Dec 14). Their "
        "BioAnchorsAGIDistribution (distributions.py) is a different object, a CDF over "
        "years, not FLOP, and is not used here. The aggressive CDF (sheet gid 701812055, "
        "their --use-aggressive-ajeya run, added 2023-01-11) appears only in reports.html "
        "versions missing from the mirror: not recoverable, so aggressive=True is refused."
    ),
    "not_found": (
        "No tests, notebooks, JS ports (website/src/js/ftm/*.js only runs one parameter set) "
        "or other files hold any of the three sheets. tests/tests.py samples "
        "TakeoffParamsDist but reads the sheet. The reports after Dec 16, 2022, which would "
        "show the inputs of HEAD's published Monte Carlo, are missing from the mirror."
    ),
}


# --------------------------------------------------------------------------------------------
# Their sampler with the rebuilt inputs
# --------------------------------------------------------------------------------------------


def input_frames(inputs: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The three sheets as their code holds them after reading: the parameter table indexed
    by 'Parameter id', the rank correlations indexed by their first column, Cotra's CDF."""
    import numpy as np
    import pandas as pd

    params = inputs["parameters"]
    table = pd.DataFrame(
        {
            "Conservative": [params[n]["conservative"] for n in inputs["parameter_order"]],
            "Best guess": [params[n]["best_guess"] for n in inputs["parameter_order"]],
            "Aggressive": [params[n]["aggressive"] for n in inputs["parameter_order"]],
            "Type": [params[n]["type"] for n in inputs["parameter_order"]],
        },
        index=pd.Index(inputs["parameter_order"], name="Parameter id"),
    )
    for column in ("Conservative", "Best guess", "Aggressive"):
        table[column] = table[column].astype(float)
    table["Type"] = table["Type"].where(table["Type"].notna(), np.nan)
    rank = inputs["rank_correlations"]
    matrix = pd.DataFrame(np.nan, index=pd.Index(rank["order"], name="Parameter id"),
                          columns=rank["order"])  # fmt: skip
    for row, column, value in rank["entries"]:
        matrix.at[row, column] = value
    cdf = inputs["cotra_training_flop_cdf"]
    ajeya = pd.DataFrame(cdf["rows"], columns=cdf["columns"])
    return table, matrix, ajeya


def load_their_mc(repo: Path, inputs_path: Path) -> dict[str, Any]:
    """Their model, sampler and ``is_slow_takeoff``, offline, with the rebuilt inputs in
    place; ``params_dist`` built as their mc_analysis builds it."""
    from .ftm import load_their_model

    model_class, utils = load_their_model(repo)
    inputs = json.loads(inputs_path.read_text())
    table, matrix, ajeya = input_frames(inputs)
    utils.cached_param_table = table
    utils.cached_rank_correlations = matrix

    def get_ajeya_dist(aggressive: bool = False) -> Any:
        if aggressive:
            raise SystemExit("their aggressive Cotra CDF could not be recovered")
        return ajeya.copy()

    utils.get_ajeya_dist = get_ajeya_dist
    utils.log.level = utils.Log.ERROR_LEVEL
    from ftm.analysis import mc_analysis
    from ftm.stats import distributions

    parameter_table = utils.get_parameter_table(tradeoff_enabled=True)
    parameter_table = parameter_table[["Conservative", "Best guess", "Aggressive", "Type"]]
    params_dist = distributions.TakeoffParamsDist(parameter_table=parameter_table, **SAMPLER)
    return {
        "model_class": model_class,
        "utils": utils,
        "distributions": distributions,
        "mc_analysis": mc_analysis,
        "params_dist": params_dist,
        "parameter_table": parameter_table,
        "inputs": inputs,
    }


class _Counter:
    """Wraps one of the sampler's checks and counts its answers."""

    def __init__(self, check: Any) -> None:
        self.check = check
        self.calls = 0
        self.no = 0

    def __call__(self, *args: Any, **kwargs: Any) -> bool:
        self.calls += 1
        ok = self.check(*args, **kwargs)
        self.no += not ok
        return ok


def run_draw(their: dict[str, Any], seed: int, index: int) -> dict[str, Any]:
    """One trial of their mc_analysis loop (see the module docstring), as a JSON-ready
    record."""
    import numpy as np

    params_dist = their["params_dist"]
    admissible = _Counter(type(params_dist).sample_is_admissible.__get__(params_dist))
    good = _Counter(type(params_dist).sample_is_good.__get__(params_dist))
    params_dist.sample_is_admissible = admissible
    params_dist.sample_is_good = good
    t_start = their["utils"].get_option("t_start", 2022)
    t_end = their["utils"].get_option("t_end", 2100)
    np.random.seed([seed, index])  # noqa: NPY002 (their code uses the global RandomState)
    messages = []
    start = time.perf_counter()
    for _ in range(MAX_RETRIES):
        try:
            sample = params_dist.rvs(1)
            mc_params = {param: sample[param][0] for param in sample}
            model = their["model_class"](**mc_params, t_start=t_start, t_end_min=t_end,
                                         compute_shares=False)  # fmt: skip
            model.run_simulation()
        except Exception as e:  # their loop: discard the sample and try again
            messages.append(f"{type(e).__name__}: {e}"[:300])
            continue
        break
    else:
        raise SystemExit(f"draw {index}: their TooManyRetries ({MAX_RETRIES} exceptions)")
    seconds = time.perf_counter() - start
    overflow = hasattr(model, "exception")
    return {
        "sample": index,
        "seconds": round(seconds, 4),
        "tries": len(messages) + 1,
        "exceptions": len(messages),
        "exception_messages": messages,
        "admissible_checks": admissible.calls,
        "inadmissible": admissible.no,
        "good_checks": good.calls,
        "not_good": good.no,
        "parameters": {k: plain(v) for k, v in mc_params.items()},
        "timeline_metrics": plain(dict(model.timeline_metrics)),
        "takeoff_metrics": plain(dict(model.takeoff_metrics)),
        "doubling_times": plain(list(model.doubling_times)),
        "n_timesteps": int(model.n_timesteps),
        "t_end": float(model.t_end),
        "overflow": overflow,
        "overflow_message": str(model.exception) if overflow else None,
        "slow_takeoff": bool(their["mc_analysis"].is_slow_takeoff(model)),
    }


def describe_sampler(their: dict[str, Any]) -> dict[str, Any]:
    """The marginals, directions and pairwise rank correlations as their code built them,
    and the lowest admissible training requirement (bisection on sample_is_admissible)."""
    import numpy as np

    dist = their["distributions"]
    params_dist = their["params_dist"]
    marginals = {}
    for name, marginal in params_dist.marginals.items():
        if isinstance(marginal, dist.SkewedLogUniform):
            marginals[name] = {
                "class": "SkewedLogUniform", "kind": marginal.kind,
                "a": float(marginal.a), "b": float(marginal.b),
                "low": float(marginal.low), "med": float(marginal.med),
                "high": float(marginal.high),
                "note": "low/med/high: log of the kind's transform (pos: x, neg: -x, frac: "
                        "x/(1-x), inv_frac: (1/x)/(1-1/x)); a, b: the support in x",
            }  # fmt: skip
        elif isinstance(marginal, dist.PointDistribution):
            marginals[name] = {"class": "PointDistribution", "value": plain(marginal.v)}
        else:
            marginals[name] = {"class": type(marginal).__name__, "a": float(marginal.a),
                               "b": float(marginal.b), "rows": len(marginal.v),
                               "aggressive": SAMPLER["aggressive"]}  # fmt: skip
    directions = params_dist.get_marginal_directions(their["parameter_table"])
    pairs = [[left, right, float(r)] for (left, right), r in params_dist.pairwise_rank_corr.items()]
    # Bisection in log10 FLOP on their sample_is_admissible (every other parameter at its
    # marginal's lower bound a), between Cotra's table's ends.
    check = type(params_dist).sample_is_admissible.__get__(params_dist)
    lo, hi = float(np.min(params_dist.marginals["full_automation_requirements_training"].v)), 100.0
    bound: dict[str, Any] = {"admissible_at_1e100": bool(check(1e100)),
                             "admissible_at_table_start": bool(check(10**lo))}  # fmt: skip
    if bound["admissible_at_1e100"] and not bound["admissible_at_table_start"]:
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if check(10**mid) else (mid, hi)
        bound["log10_lowest_admissible"] = hi
        bound["log10_highest_inadmissible"] = lo
        cdf = params_dist.marginals["full_automation_requirements_training"]
        bound["cotra_cdf_at_bound"] = float(cdf._cdf(10**hi))
    correlation = params_dist.joint_dist.wrapped.copula.corr
    return {
        "marginals": marginals,
        "directions": directions,
        "pairwise_rank_corr": pairs,
        "gaussian_correlation_min_eigenvalue": float(np.linalg.eigvalsh(correlation).min()),
        "training_requirements_admissible_bound": bound,
    }


# --------------------------------------------------------------------------------------------
# Summary and table
# --------------------------------------------------------------------------------------------


def _quantiles(values: Any) -> dict[str, float | None]:
    import numpy as np

    return {f"q{round(q * 100):02d}": plain(float(np.quantile(values, q))) for q in QUANTILES}


def read_records(path: Path) -> list[dict[str, Any]]:
    """The draws of a JSON-lines file, one per sample index (the first), in order."""
    records: dict[int, dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        if line:
            record = json.loads(line)
            records.setdefault(record["sample"], record)
    return [records[i] for i in sorted(records)]


def summary_statistics(records: list[dict[str, Any]], t_end: float) -> dict[str, Any]:
    """P(full automation of goods by t_end), P(slow takeoff) and quantiles: dates with NaN as
    "not by t_end" (quantiles at or past t_end reported as null), durations over the draws
    where they are defined (their mc_analysis's convention)."""
    import numpy as np

    n = len(records)
    out: dict[str, Any] = {
        "draws": n,
        "p_automation_gns_100_by_t_end": sum(
            r["timeline_metrics"]["automation_gns_100%"] is not None for r in records
        )
        / n,
        "p_slow_takeoff": sum(r["slow_takeoff"] for r in records) / n,
        "dates": {},
        "durations": {},
    }
    for name in SUMMARY_DATES:
        values = np.array([np.inf if r["timeline_metrics"][name] is None
                           else r["timeline_metrics"][name] for r in records])  # fmt: skip
        q = _quantiles(np.where(np.isfinite(values), values, t_end))
        out["dates"][name] = {k: (None if v is None or v >= t_end else v) for k, v in q.items()}
        out["dates"][name]["reached"] = int(np.isfinite(values).sum())
    for name in SUMMARY_DURATIONS:
        values = [r["takeoff_metrics"][name] for r in records]
        defined = np.array([v for v in values if v is not None])
        out["durations"][name] = {**(_quantiles(defined) if len(defined) else {}),
                                  "defined": len(defined)}  # fmt: skip
    return out


def write_table(records: list[dict[str, Any]], path: Path) -> None:
    """``ftm_mc_draws.csv.gz``: one row per draw (see the module docstring); gzip without a
    timestamp, so the same draws write the same bytes."""
    import pandas as pd

    rows = []
    for r in records:
        row: dict[str, Any] = {k: r[k] for k in ("sample", "seconds", "tries", "exceptions",
                               "admissible_checks", "inadmissible", "good_checks", "not_good",
                               "overflow", "slow_takeoff", "n_timesteps", "t_end")}  # fmt: skip
        row.update(r["parameters"])
        row.update({f"metric:{k}": v for k, v in r["timeline_metrics"].items()})
        row.update({f"metric:{k}": v for k, v in r["takeoff_metrics"].items()})
        row["doubling_times"] = ";".join("" if v is None else f"{v:.12g}"
                                         for v in r["doubling_times"])  # fmt: skip
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.to_csv(path, index=False, float_format="%.12g",
                 compression={"method": "gzip", "mtime": 0})  # fmt: skip


def summarise(repo: Path, inputs_path: Path, seed: int, draws_file: Path, out: Path) -> None:
    import numpy as np
    import scipy
    import statsmodels

    records = read_records(draws_file)
    their = load_their_mc(repo, inputs_path)
    t_end = float(their["utils"].get_option("t_end", 2100))
    seconds = np.array([r["seconds"] for r in records])
    total = {k: int(sum(r[k] for r in records))
             for k in ("exceptions", "admissible_checks", "inadmissible", "good_checks",
                       "not_good")}  # fmt: skip
    info = {
        "repository": REPOSITORY,
        "commit": commit_of(repo),
        "what": "their Monte Carlo (ftm/analysis/mc_analysis.py's trial loop with "
        "ftm/stats/distributions.py TakeoffParamsDist) on the rebuilt inputs",
        "inputs_file": inputs_path.name,
        "inputs_sha256": _sha256(inputs_path),
        "sampler": SAMPLER,
        "max_retries": MAX_RETRIES,
        "seed": seed,
        "seeding": "np.random.seed([seed, i]) before draw i (their code draws from NumPy's "
        "global RandomState: scipy rv_continuous.rvs and multivariate_normal.rvs with "
        "random_state=None, through statsmodels' CopulaDistribution)",
        "draws": len(records),
        "samples": [records[0]["sample"], records[-1]["sample"]] if records else None,
        "missing_samples": sorted(
            set(range(records[-1]["sample"] + 1)) - {r["sample"] for r in records}
        )
        if records
        else [],
        "t_start": their["utils"].get_option("t_start"),
        "t_end": t_end,
        "t_step": their["utils"].get_option("t_step"),
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "seconds_per_draw": {
            "mean": float(seconds.mean()),
            "median": float(np.median(seconds)),
            "max": float(seconds.max()),
            "total": float(seconds.sum()),
        },
        "rejections": {
            **total,
            "per_draw": {
                "inadmissible": total["inadmissible"] / len(records),
                "not_good": total["not_good"] / len(records),
                "exceptions": total["exceptions"] / len(records),
            },
            "rates": {
                "inadmissible_of_checks": total["inadmissible"] / total["admissible_checks"],
                "not_good_of_checks": total["not_good"] / total["good_checks"],
            },
            "exception_kinds": sorted(
                {m.split(":")[0] for r in records for m in r["exception_messages"]}
            ),  # fmt: skip
        },
        "overflows": sum(r["overflow"] for r in records),
        "handle_exception": "theirs less the dill dump of the model (benchmarks.peers.ftm)",
        "summary": summary_statistics(records, t_end),
        **describe_sampler(their),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "ftm_mc.json").write_text(json.dumps(info, indent=1) + "\n")
    write_table(records, out / "ftm_mc_draws.csv.gz")
    print(json.dumps({k: info[k] for k in ("draws", "seconds_per_draw", "rejections",
                                           "overflows", "summary")}, indent=1))  # fmt: skip


#: What the distribution test compares: the milestones whose P(by the end of each year) and
#: the durations whose quantiles are recorded from forecaster's run.
COMPARED_MILESTONES = ("automation_gns_100%", "automation_rnd_100%", "agi_year")
COMPARED_DURATIONS = ("full_automation_gns", "full_automation_rnd")


def record_ours(run_dir: Path) -> None:
    """``ftm_forecaster.json``: forecaster's run of ``scenario=epoch_ftm_2023`` (its
    summary.json): P(milestone by the end of each year), the 20%-to-100% durations'
    quantiles and P(full automation), P(slow takeoff), with its draws, seed and this
    checkout's commit (run it at the commit that made the run), for the distribution test
    against their Monte Carlo (tests/test_ftm_monte_carlo.py)."""
    from ..common import code_version

    summary = json.loads((run_dir / "summary.json").read_text())
    model = summary.get("model", {}).get("name")
    if model != "epoch_ftm" or summary.get("draws_done") != summary.get("n_draws"):
        raise SystemExit(f"{run_dir}: not a complete run of model epoch_ftm")
    milestones = {}
    for name in COMPARED_MILESTONES:
        entry = summary["milestones"][name]
        by_year = {str(y): float(p) for y, p in entry["p_by_year"].items()}
        if not all(0.0 <= p <= 1.0 for p in by_year.values()):
            raise SystemExit(f"{run_dir}: p_by_year of {name} outside [0, 1]")
        milestones[name] = {"n": int(entry["n"]), "p_by_year": by_year}
    record = {
        "scenario": str(summary["scenario"]),
        "n_draws": int(summary["n_draws"]),
        "seed": int(summary["seed"]),
        "non_finite": int(summary["non_finite"]),
        "finite_draws": int(summary["finite_draws"]),
        "draws_per_second": summary["timing"].get("draws_per_second"),
        "device": summary.get("device"),
        "code": code_version(),
        "milestones": milestones,
        "durations": {name: summary["durations"][name] for name in COMPARED_DURATIONS},
        "flags": {k: v["p"] for k, v in summary["flags"].items()},
    }
    path = RESULTS / "ftm_forecaster.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="their repository checkout")
    parser.add_argument("--inputs", type=Path, default=INPUTS)
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="first sample index (resume)")
    parser.add_argument("--out", type=Path, default=RESULTS / "ftm_mc_draws.jsonl")
    parser.add_argument("--summarise", action="store_true")
    parser.add_argument("--rebuild-inputs", action="store_true")
    parser.add_argument("--mirror", type=Path, help="bare clone of their repository")
    parser.add_argument("--ours", type=Path, default=None,
                        help="a run directory of forecaster's epoch_ftm_2023: record its "
                             "numbers to ftm_forecaster.json")  # fmt: skip
    args = parser.parse_args(argv)
    if args.ours is not None:
        record_ours(args.ours.resolve())
        return
    if args.rebuild_inputs:
        if args.mirror is None:
            parser.error("--rebuild-inputs needs --mirror")
        inputs = rebuild_inputs(args.mirror)
        args.inputs.write_text(json.dumps(inputs, indent=1) + "\n")
        print(f"wrote {args.inputs} ({len(inputs['parameters'])} parameters, "
              f"{inputs['rank_correlations']['nonzero']} nonzero rank correlations, "
              f"{len(inputs['cotra_training_flop_cdf']['rows'])} CDF rows)")  # fmt: skip
        return
    if args.repo is None:
        parser.error("--repo is required")
    repo = args.repo.resolve()
    if args.summarise:
        summarise(repo, args.inputs, args.seed, args.out, args.out.parent)
        return
    their = load_their_mc(repo, args.inputs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as sink:
        for index in range(args.start, args.start + args.draws):
            record = run_draw(their, args.seed, index)
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            tm = record["timeline_metrics"]
            print(f"draw {index}: {record['seconds']:.2f} s, tries {record['tries']}, "
                  f"inadmissible {record['inadmissible']}, not good {record['not_good']}, "
                  f"100% goods {tm['automation_gns_100%']}, slow {record['slow_takeoff']}, "
                  f"overflow {record['overflow']}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
