"""Cluster sweeps: forecaster's SLURM launcher config (conf/hydra/launcher/slurm_gpu.yaml)
composes with its forecast config and submits the jobs we expect."""

from __future__ import annotations

import json
import os

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


@pytest.fixture
def slurm_executor(tmp_path, monkeypatch):
    """submitit's own AutoExecutor for SLURM, on a machine with an ``srun`` on PATH (a stand-in:
    nothing is submitted, :meth:`map_array` records the jobs instead)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    class Submitting(submitit.AutoExecutor):
        made: list = []

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.jobs: list = []
            Submitting.made.append(self)

        def map_array(self, fn, *args):
            self.jobs = list(zip(*args, strict=True))
            return []

    monkeypatch.setattr(submitit, "AutoExecutor", Submitting)
    return Submitting


def test_the_launcher_config_composes_into_a_gpu_job_script(tmp_path, slurm_executor):
    """conf/hydra/launcher/slurm_gpu.yaml composed with conf/forecast.yaml (forecaster's
    schemas registered): submitit accepts every key it sets (unknown ones are refused), each
    job carries its sweep's overrides, and the sbatch script asks for one GPU on the gpu
    partition, writes its logs under the sweep directory and sets the JAX memory setting."""
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from forecaster._config import register_configs
    from forecaster._paths import conf_dir

    register_configs()
    sweep = tmp_path / "sweep"
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        cfg = compose(
            config_name="forecast",
            overrides=["hydra/launcher=slurm_gpu", f"hydra.sweep.dir={sweep}"],
            return_hydra_config=True,
        )
    launcher = instantiate(cfg.hydra.launcher)
    launcher.config = cfg  # what Hydra's setup() stores; launch() reads the sweep dir from it
    jobs = [["scenario=explosive", "n_draws=2000"], ["scenario=amdahl", "n_draws=2000"]]
    launcher.launch(jobs, initial_job_idx=0)
    (executor,) = slurm_executor.made
    assert executor.cluster == "slurm"
    assert [job[0] for job in executor.jobs] == jobs
    assert [job[2] for job in executor.jobs] == [0, 1]
    script = executor._executor._make_submission_file_text("forecaster forecast", "uid")
    for line in (
        "#SBATCH --partition=gpu",
        "#SBATCH --gpus-per-node=1",
        "#SBATCH --ntasks-per-node=1",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --mem=64GB",
        "#SBATCH --time=240",
        "#SBATCH --job-name=forecast",  # hydra.job.name in conf/forecast.yaml
        "export XLA_PYTHON_CLIENT_PREALLOCATE=false",
        f"#SBATCH --output={sweep}/.submitit/%j/",
    ):
        assert line in script, (line, script)
    assert "--account" not in script and "--qos" not in script  # null: the cluster's default
