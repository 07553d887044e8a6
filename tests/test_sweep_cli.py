"""fastq sweep: the files it promises, the top configs, value syntax, errors."""
import csv
import json
import sys

import numpy as np
import pytest

import fastq
from fastq import cli

ARGS = ["sweep", "FrozenLake-v1", "--alpha", "0.1,0.5", "--gamma", "0.9,0.99", "--epsilon",
        "0.05,linear:1,0.05,0.5", "--seeds", "3", "--episodes", "150", "--eval-episodes",
        "30", "--no-progress"]


def run_cli(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_sweep_writes_table_summary_figures_and_prints_the_top(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "sweep"
    status, stdout, err = run_cli(capsys, *ARGS, "--out", str(out), "--plot", "--top", "3")
    assert status == 0, err
    table = read_csv(out / "table.csv")
    summary = read_csv(out / "summary.csv")
    assert len(table) == 8 * 3 and len(summary) == 8
    assert list(table[0]) == ["config", "algorithm", "alpha", "gamma", "epsilon", "seed",
                              "final_return", "auc", "eval_return", "success_rate", "steps",
                              "seconds"]
    assert {r["epsilon"] for r in table} == {"0.05", "linear(1.0, 0.05, over=0.5)"}
    assert (out / "manifest.json").exists() and len(list((out / "chunks").iterdir())) >= 1
    for name in ("curves.png", "heatmap.png"):
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same numbers as the Python call
    res = fastq.sweep(fastq.make("FrozenLake-v1"),
                      {"alpha": [0.1, 0.5], "gamma": [0.9, 0.99],
                       "epsilon": [0.05, fastq.linear(1.0, 0.05, over=0.5)]},
                      seeds=3, episodes=150, eval_episodes=30, progress=False)
    t = {k: np.asarray(v) for k, v in res.table.items()}
    assert [float(r["final_return"]) for r in table] == list(t["final_return"])
    # the printed top 3: best first, by final_return mean
    lines = stdout.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("top 3 by final_return"))
    printed = [int(line.split()[0]) for line in lines[i + 2:i + 5]]
    means = {int(r["config"]): float(r["final_return_mean"]) for r in summary}
    assert printed == sorted(means, key=lambda c: (-means[c], c))[:3]
    assert "FrozenLake-v1: 16 states, 4 actions" in stdout
    assert "8 configs x 3 seeds = 24 agents" in stdout
    assert "alpha (2), gamma (2), epsilon (2)" in stdout
    assert str(out / "figures" / "heatmap.png") in stdout


def test_plot_without_matplotlib_is_refused_before_the_sweep(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, _, err = run_cli(capsys, *ARGS, "--out", str(tmp_path / "s"), "--plot")
    assert status == 2 and "--plot needs matplotlib" in err
    assert not (tmp_path / "s").exists()


def test_resume_and_an_existing_directory(capsys, tmp_path):
    out = tmp_path / "sweep"
    assert run_cli(capsys, *ARGS, "--out", str(out))[0] == 0
    first = (out / "table.csv").read_text()
    status, _, err = run_cli(capsys, *ARGS, "--out", str(out))
    assert status == 2 and "already holds a sweep" in err and "--resume" in err
    (out / "chunks" / "chunk-000000.npz").unlink()
    (out / "table.csv").unlink()
    status, stdout, _ = run_cli(capsys, *ARGS, "--out", str(out), "--resume")
    assert status == 0
    strip = [r[:-1] for r in csv.reader(first.splitlines())]  # all but seconds
    again = [r[:-1] for r in csv.reader((out / "table.csv").read_text().splitlines())]
    assert again == strip


def test_random_search_from_the_command_line(capsys, tmp_path):
    out = tmp_path / "rs"
    status, _, err = run_cli(capsys, "sweep", "FrozenLake-v1", "--alpha", "loguniform:0.01,1",
                             "--gamma", "uniform:0.9,0.999", "--epsilon", "0.05,0.2",
                             "--samples", "4", "--seeds", "2", "--episodes", "50",
                             "--no-progress", "--out", str(out), "--seed", "3")
    assert status == 0, err
    configs = json.loads((out / "manifest.json").read_text())["definition"]["configs"]
    assert len(configs) == 8 and [c["epsilon"] for c in configs] == [0.05] * 4 + [0.2] * 4
    assert all(0.01 <= c["alpha"] < 1 and 0.9 <= c["gamma"] < 0.999 for c in configs)
    res = fastq.sweep(fastq.make("FrozenLake-v1"), {"epsilon": [0.05, 0.2]}, seeds=2,
                      episodes=50, seed=3, samples=4, progress=False,
                      space={"alpha": fastq.loguniform(0.01, 1),
                             "gamma": fastq.uniform(0.9, 0.999)})
    assert [c["alpha"] for c in res.configs] == [c["alpha"] for c in configs]


def test_single_values_are_fixed_and_lists_accumulate(capsys, tmp_path):
    out = tmp_path / "s"
    status, stdout, err = run_cli(capsys, "sweep", "FrozenLake-v1", "--alpha", "0.1",
                                  "--alpha", "0.2,0.3", "--gamma", "0.95", "--max-steps",
                                  "40", "--seeds", "2", "--episodes", "30", "--no-progress",
                                  "--out", str(out), "--workers", "2")
    assert status == 0, err
    d = json.loads((out / "manifest.json").read_text())["definition"]
    assert d["axes"] == ["alpha"]
    assert [c["alpha"] for c in d["configs"]] == [0.1, 0.2, 0.3]
    assert {c["gamma"] for c in d["configs"]} == {0.95}
    assert {c["max_steps"] for c in d["configs"]} == {40}


def test_algorithms_and_exploration_are_axes(capsys, tmp_path):
    out = tmp_path / "s"
    status, stdout, err = run_cli(capsys, "sweep", "Chain-v0", "--algorithm",
                                  "q_learning,sarsa", "--exploration", "softmax",
                                  "--temperature", "0.5,exp:2,0.1,0.99", "--seeds", "2",
                                  "--episodes", "20", "--no-progress", "--out", str(out))
    assert status == 0, err
    d = json.loads((out / "manifest.json").read_text())["definition"]
    assert d["axes"] == ["algorithm", "temperature"]
    assert [c["algorithm"] for c in d["configs"]] == ["q_learning"] * 2 + ["sarsa"] * 2
    assert {c["exploration"] for c in d["configs"]} == {"softmax"}
    assert d["configs"][1]["temperature"] == {"schedule": {"kind": "exponential", "start": 2.0,
                                                           "end": 0.1, "decay": 0.99}}
    res = fastq.load_sweep(out)
    run = fastq.train(fastq.make("Chain-v0"), episodes=20, agents=2, **res.configs[3])
    assert np.array_equal(res.curves[3], run.returns)  # 20 episodes: every:1, all of them


def test_parse_values():
    assert cli.parse_values("0.05, 0.1") == [0.05, 0.1]
    v = cli.parse_values("0.1,linear:1,0.05,0.5,exp:1,0.1,0.99,const:0.2")
    assert v[0] == 0.1 and repr(v[1]) == "linear(1.0, 0.05, over=0.5)"
    assert repr(v[2]) == "exponential(1.0, 0.1, decay=0.99)" and repr(v[3]) == "constant(0.2)"
    assert cli.parse_values("linear:1,0.05,2000")[0].over == 2000
    assert cli.parse_values("loguniform:1e-3,1") == [fastq.loguniform(1e-3, 1)]
    assert cli.parse_values("q_learning,q_learning", str) == ["q_learning"] * 2
    assert cli.parse_values("50,100", int) == [50, 100]


@pytest.mark.parametrize("argv, words", [
    (["--alpha", "0.1,,0.2"], "empty value"),
    (["--alpha", "1.5"], r"alpha = 1.5: alpha must be in \(0, 1\]; got 1.5"),
    (["--gamma", "0.9,x"], "'x' is not a number"),
    (["--epsilon", "linaer:1,0.1,0.5"], "unknown schedule kind 'linaer'.*'linear'"),
    (["--alpha", "loguniform:0.01,1"], "needs --samples N"),
    (["--alpha", "loguniform:0.01,1,0.1"], "must be the option's only value"),
    (["--samples", "4"], "--samples needs at least one uniform"),
    (["--algorithm", "q_lerning"], "unknown algorithm 'q_lerning'.*'q_learning'"),
    (["--max-steps", "1.5"], "'1.5' in '1.5' is not an integer"),
    (["--plot"], "--plot needs --out"),
    (["--resume"], "--resume needs --out"),
    (["--curve", "every:x"], "curve must be"),
    (["--rainy"], "FrozenLake-v1 does not take --rainy"),
    (["--workers", "0"], "--workers must be >= 1"),
    (["--env-typo"], "unrecognized arguments"),
])
def test_bad_values_exit_2_with_a_message(capsys, argv, words):
    import re

    status, out, err = run_cli(capsys, "sweep", "FrozenLake-v1", "--episodes", "10",
                               "--no-progress", *argv)
    assert status == 2
    assert re.search(words, err), err
    assert "Traceback" not in err


def test_metric_success_rate_needs_a_goal(capsys):
    status, _, err = run_cli(capsys, "sweep", "Chain-v0", "--episodes", "10", "--no-progress",
                             "--metric", "success_rate")
    assert status == 2 and "Chain-v0 has no goal" in err


def test_sweep_is_listed_with_its_example(capsys):
    status, out, _ = run_cli(capsys, "sweep", "--help")
    assert status == 0
    assert "fastq sweep FrozenLake8x8-v1 --alpha 0.05,0.1,0.5 --gamma 0.9,0.99" in out
    assert "--resume" in out and "--dask ADDRESS" in out
