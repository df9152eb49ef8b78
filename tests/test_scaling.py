"""Cluster sweeps: the SLURM launcher config composes and submits the jobs we expect."""

from __future__ import annotations

import json

import pytest

submitit = pytest.importorskip("submitit", reason="hydra-submitit-launcher is not installed")


class RecordingExecutor:
    """Stands in for submitit.AutoExecutor: records what would be submitted to SLURM and
    runs the jobs here, in this process."""

    instances: list = []

    def __init__(self, cluster: str, **init):
        self.cluster = cluster
        self.init = init
        self.parameters: dict = {}
        RecordingExecutor.instances.append(self)

    def update_parameters(self, **params):
        self.parameters.update(params)

    def map_array(self, fn, *args):
        class Done:
            def __init__(self, value):
                self.value = value

            def results(self):
                return [self.value]

        return [Done(fn(*call)) for call in zip(*args, strict=True)]


@pytest.mark.slow
def test_slurm_launcher_submits_gpu_jobs(tmp_path, monkeypatch):
    monkeypatch.setattr(submitit, "AutoExecutor", RecordingExecutor)
    monkeypatch.setenv("SUBMITIT_DEBUG_JOB_ID", "0")  # jobs run here, as submitit's debug jobs
    RecordingExecutor.instances.clear()
    from forecaster.cli import main

    sweep = tmp_path / "sweep"
    code = main(
        [
            "forecast",
            "-m",
            "hydra/launcher=slurm_gpu",
            "scenario=explosive,amdahl",
            "n_draws=2000",
            "output.report=false",
            "output.progress_bar=false",
            f"hydra.sweep.dir={sweep}",
        ]
    )
    assert code == 0
    (executor,) = RecordingExecutor.instances
    assert executor.cluster == "slurm"
    params = executor.parameters
    assert params["slurm_partition"] == "gpu"
    assert params["gpus_per_node"] == 1 and params["tasks_per_node"] == 1
    assert params["cpus_per_task"] == 8 and params["mem_gb"] == 64
    assert params["timeout_min"] == 240 and params["slurm_array_parallelism"] == 64
    assert params["name"] == "forecast"
    # The jobs ran (here) and the sweep was compared.
    scenarios = sorted(json.loads(p.read_text())["scenario"] for p in sweep.glob("*/summary.json"))
    assert scenarios == ["amdahl", "explosive"]
    assert (sweep / "comparison.csv").exists()


def test_sbatch_script_carries_the_gpu_request():
    from submitit.slurm.slurm import _make_sbatch_string

    script = _make_sbatch_string(
        command="forecaster forecast",
        folder="/tmp/x",
        partition="gpu",
        gpus_per_node=1,
        ntasks_per_node=1,
        cpus_per_task=8,
        mem="64GB",
        time=240,
    )
    assert "#SBATCH --partition=gpu" in script
    assert "#SBATCH --gpus-per-node=1" in script
