"""The ``fastq`` command line: train summary, --out, schedule syntax, envs, errors."""
import re
import subprocess
import sys

import numba
import numpy as np
import pytest

import fastq
from fastq import cli
from fastq.schedules import to_spec

SMALL = ["FrozenLake-v1", "--agents", "16", "--episodes", "200", "--eval-episodes", "200"]


def run_cli(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def summary(out):
    """{label: rest of line} of the train summary."""
    rows = {}
    for line in out.splitlines():
        label, rest = line[:cli.LABEL_WIDTH].strip(), line[cli.LABEL_WIDTH:]
        rows[label] = rest
    return rows


def numbers(text):
    return [float(x.replace(",", "")) for x in re.findall(r"-?\d[\d,]*\.?\d*(?:e[+-]?\d+)?", text)]


# ------------------------------------------------------------------ train
def test_train_prints_a_plausible_summary(capsys):
    status, out, err = run_cli(capsys, "train", *SMALL, "--no-progress")
    assert status == 0, err
    rows = summary(out)
    assert list(rows) == ["env", "algorithm", "training", "time", "final return", "greedy eval"]
    assert rows["env"].startswith("FrozenLake-v1: 16 states, 4 actions, time limit 100 steps")
    assert "alpha 0.1, gamma 0.99, epsilon 0.1" in rows["algorithm"]
    agents, episodes, steps, seed = numbers(rows["training"])
    assert (agents, episodes, seed) == (16, 200, 0)
    assert 16 * 200 <= steps <= 16 * 200 * 100
    seconds, speed = numbers(rows["time"])[:2]
    assert seconds > 0 and speed > 0
    mean, std, low, high, last = numbers(rows["final return"])
    assert 0 <= low <= mean <= high <= 1 and std >= 0 and last == 20
    mean, std, low, high, episodes = numbers(rows["greedy eval"])
    assert 0 <= low <= mean <= high <= 1 and episodes == 200
    assert "error" not in err and "Traceback" not in err


def test_same_seed_gives_the_same_numbers(capsys):
    args = ["train", *SMALL, "--no-progress", "--epsilon", "linear:1,0.1,0.5", "--seed"]
    outs = [summary(run_cli(capsys, *args, seed)[1]) for seed in ("7", "7", "8")]
    for out in outs:
        del out["time"]  # the only line that may differ
    assert outs[0] == outs[1]
    assert outs[0]["training"] != outs[2]["training"]


def test_out_equals_train_in_python(capsys, tmp_path):
    path = tmp_path / "run.data"  # written under exactly this name
    status, out, err = run_cli(
        capsys, "train", "FrozenLake-v1", "--agents", "16", "--episodes", "200",
        "--alpha", "0.5", "--gamma", "0.95", "--epsilon", "linear:1,0.1,0.5", "--seed", "3",
        "--eval-episodes", "50", "--out", str(path))  # progress bar on: chunked run
    assert status == 0, err
    assert summary(out)["saved"] == str(path)
    arrays, meta = cli.load_run(path)
    epsilon = fastq.linear(1.0, 0.1, over=0.5)
    run = fastq.train(fastq.make("FrozenLake-v1"), episodes=200, agents=16, alpha=0.5,
                      gamma=0.95, epsilon=epsilon, seed=3)
    np.testing.assert_array_equal(arrays["q"], run.q)
    np.testing.assert_array_equal(arrays["returns"], run.returns)
    np.testing.assert_array_equal(arrays["lengths"], run.lengths)
    np.testing.assert_array_equal(arrays["rng_state"], run.rng_state)
    np.testing.assert_array_equal(arrays["eval_returns"], run.evaluate(50, 3))
    assert meta["env"] == "FrozenLake-v1" and meta["env_options"] == {}
    assert (meta["agents"], meta["episodes"], meta["seed"], meta["max_steps"]) == (16, 200, 3, 100)
    assert meta["hyperparameters"] == {"alpha": to_spec(0.5), "gamma": to_spec(0.95),
                                       "epsilon": to_spec(epsilon)}
    assert meta["fastq_version"] == fastq.__version__
    assert meta["steps"] == run.steps


def test_env_options_are_passed(capsys, tmp_path):
    path = tmp_path / "run.npz"
    status, out, err = run_cli(capsys, "train", "FrozenLake-v1", "--map-name", "8x8",
                               "--no-slippery", "--agents", "4", "--episodes", "20",
                               "--eval-episodes", "0", "--no-progress", "--out", str(path))
    assert status == 0, err
    assert "greedy eval" not in out
    assert summary(out)["env"].startswith("FrozenLake-v1 (map_name=8x8, is_slippery=False): "
                                          "64 states, 4 actions")
    arrays, meta = cli.load_run(path)
    assert meta["env_options"] == {"map_name": "8x8", "is_slippery": False}
    run = fastq.train(fastq.make("FrozenLake-v1", map_name="8x8", is_slippery=False),
                      episodes=20, agents=4)
    np.testing.assert_array_equal(arrays["q"], run.q)
    assert "eval_returns" not in arrays


def test_threads_are_set_and_restored(capsys):
    before = numba.get_num_threads()
    status, out, err = run_cli(capsys, "train", *SMALL, "--no-progress", "--threads", "1")
    assert status == 0, err
    assert "on 1 thread" in summary(out)["time"]
    assert numba.get_num_threads() == before


# ------------------------------------------------------------------ schedules
@pytest.mark.parametrize("text, expected", [
    ("0.1", 0.1),
    (" 1e-2 ", 0.01),
    ("const:0.2", fastq.constant(0.2)),
    ("constant:0.2", fastq.constant(0.2)),
    ("linear:1,0.05,2000", fastq.linear(1.0, 0.05, over=2000)),
    ("linear:1,0.05,0.5", fastq.linear(1.0, 0.05, over=0.5)),
    ("linear:1,0.05,1.0", fastq.linear(1.0, 0.05, over=1.0)),
    (" LINEAR: 1 , 0 , 10 ", fastq.linear(1.0, 0.0, over=10)),
    ("exp:1,0.01,0.999", fastq.exponential(1.0, 0.01, decay=0.999)),
    ("exponential:0.5,0.1,0.9", fastq.exponential(0.5, 0.1, decay=0.9)),
])
def test_parse_schedule(text, expected):
    value = cli.parse_schedule(text)
    assert type(value) is type(expected)
    assert to_spec(value) == to_spec(expected)
    if isinstance(expected, fastq.linear):
        assert type(value.over) is type(expected.over)  # int: episodes, float: fraction


@pytest.mark.parametrize("text, message", [
    ("", "is not a number"),
    ("fast", "is not a number"),
    ("nan", "not a finite number"),
    ("const:", "is not a number"),
    ("linear:1,0.05", "linear takes START,END,OVER (3 numbers); got 2"),
    ("exp:1,0.1,0.9,2", "exp takes START,END,DECAY (3 numbers); got 4"),
    ("linear:1,0.05,0", "over must be >= 1 episode"),
    ("linear:1,0.05,2.5", "fraction of the run and must be in (0, 1]"),
    ("exp:1,0.1,1.5", "decay must be in (0, 1]"),
    ("lineer:1,0,10", "did you mean 'linear'?"),
    ("cosine:1,0", "unknown schedule kind 'cosine'"),
])
def test_parse_schedule_refuses(text, message):
    with pytest.raises(ValueError) as info:
        cli.parse_schedule(text)
    assert message in str(info.value)
    assert repr(text) in str(info.value)


# ------------------------------------------------------------------ errors
def assert_usage_error(status, out, err, message):
    assert status == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def test_bad_schedule_is_a_usage_error(capsys):
    assert_usage_error(*run_cli(capsys, "train", *SMALL, "--epsilon", "linear:1,0"),
                       "argument --epsilon: schedule 'linear:1,0': linear takes")


def test_unknown_env_suggests_a_close_id(capsys):
    assert_usage_error(*run_cli(capsys, "train", "FrozenLake-v9", "--episodes", "10"),
                       "fastq: error: unknown environment 'FrozenLake-v9'; "
                       "did you mean 'FrozenLake-v1'?")


@pytest.mark.parametrize("env, option, takes", [
    ("Taxi-v4", "--map-name=4x4", "--rainy/--no-rainy"),
    ("FrozenLake-v1", "--rainy", "--map-name, --slippery/--no-slippery"),
    ("CliffWalking-v1", "--map-name=8x8", "--slippery/--no-slippery"),
    ("Chain-v0", "--no-slippery", "none of these options"),
])
def test_option_the_env_does_not_take(capsys, env, option, takes):
    flag = option.split("=")[0].replace("--no-", "--")
    status, out, err = run_cli(capsys, "train", env, option, "--episodes", "10")
    assert_usage_error(status, out, err, f"fastq: error: {env} does not take {flag}")
    assert f"(it takes: {takes})" in err


@pytest.mark.parametrize("args, message", [
    (["--alpha", "1.5"], "fastq: error: alpha must be in (0, 1]; got 1.5"),
    (["--epsilon", "linear:2,0,10"], "fastq: error: epsilon schedule start must be in [0, 1]"),
    (["--agents", "0"], "fastq: error: agents must be an integer >= 1; got 0"),
    (["--seed", "-1"], "fastq: error: seed must be an integer in [0, 2**64)"),
    (["--algorithm", "q_lerning"], "did you mean 'q_learning'?"),
    (["--map-name", "5x5"], "fastq: error: unknown map_name '5x5'"),
    (["--eval-episodes", "-1"], "fastq: error: --eval-episodes must be >= 0"),
    (["--threads", "0"], "fastq: error: --threads must be in [1, "),
    (["--agents", "many"], "argument --agents: invalid int value: 'many'"),
])
def test_bad_values_are_usage_errors(capsys, args, message):
    assert_usage_error(*run_cli(capsys, "train", *SMALL, "--no-progress", *args), message)


def test_unwritable_out_fails_after_the_summary(capsys, tmp_path):
    status, out, err = run_cli(capsys, "train", *SMALL, "--no-progress", "--eval-episodes", "0",
                               "--out", str(tmp_path / "missing" / "run.npz"))
    assert status == 1
    assert "fastq: error: cannot write" in err and "Traceback" not in err
    assert "final return" in out and not (tmp_path / "missing").exists()


def test_help_and_no_command(capsys):
    status, out, _ = run_cli(capsys, "train", "--help")
    assert status == 0 and "linear:START,END,OVER" in out and "--eval-episodes" in out
    status, out, err = run_cli(capsys)
    assert status == 2 and "COMMAND" in err


# ------------------------------------------------------------------ envs
def test_envs_lists_every_id(capsys):
    status, out, err = run_cli(capsys, "envs")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["id", "states", "actions", "stochastic", "time", "limit",
                                "Gymnasium", "id"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert list(rows) == list(fastq.envs.ENVS)
    assert rows["FrozenLake8x8-v1"] == ["64", "4", "yes", "200", "FrozenLake8x8-v1"]
    assert rows["CliffWalking-v0"] == ["48", "4", "no", "none", "CliffWalking-v1"]
    assert rows["Chain-v0"] == ["10", "3", "no", "100", "-"]


# ------------------------------------------------------------------ the installed command
def test_python_dash_m_fastq():
    proc = subprocess.run(
        [sys.executable, "-m", "fastq", "train", "FrozenLake-v1", "--agents", "4",
         "--episodes", "50", "--eval-episodes", "20", "--no-progress"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert list(summary(proc.stdout)) == ["env", "algorithm", "training", "time",
                                          "final return", "greedy eval"]
    assert "4 agents x 50 episodes" in proc.stdout


@pytest.mark.parametrize("argv, kwargs", [
    (["--algorithm", "sarsa", "--envs", "3"], dict(algorithm="sarsa", envs=3)),
    (["--algorithm", "double_q", "--exploration", "softmax", "--temperature", "exp:2,0.1,0.99"],
     dict(algorithm="double_q", exploration="softmax",
          temperature=fastq.exponential(2.0, 0.1, decay=0.99))),
])
def test_rule_options_equal_train_in_python(capsys, tmp_path, argv, kwargs):
    path = tmp_path / "run.npz"
    status, out, err = run_cli(capsys, "train", "FrozenLake-v1", "--agents", "8", "--episodes",
                               "60", "--eval-episodes", "0", "--no-progress", "--out",
                               str(path), *argv)
    assert status == 0, err
    arrays, _ = cli.load_run(path)
    run = fastq.train(fastq.make("FrozenLake-v1"), episodes=60, agents=8, **kwargs)
    np.testing.assert_array_equal(arrays["q"], run.q)
    np.testing.assert_array_equal(arrays["returns"], run.returns)
