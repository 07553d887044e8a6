"""The measuring side: the textbook baseline is correct Q-learning, and
``fastq bench`` works on tiny budgets. No timing is asserted."""
import json
import math

import numpy as np
import pytest

import fastq
from fastq import bench, cli
from fastq.baselines import gymnasium_loop, make_gymnasium, textbook_loop, textbook_tables


# ------------------------------------------------------------------ the textbook baseline
def test_textbook_tables_reproduce_the_env():
    env = fastq.make("FrozenLake-v1")
    P, initial_states, initial_cum = textbook_tables(env)
    dense, R, terminal, initial = env.to_arrays()
    for s in range(env.n_states):
        for a in range(env.n_actions):
            cum, outcomes = P[s][a]
            probs = np.diff([0.0] + cum)
            merged = np.zeros(env.n_states)
            for p, (s_next, r, done) in zip(probs, outcomes):
                merged[s_next] += p
                assert r == R[s, a, s_next] and done == terminal[s, a, s_next]
            np.testing.assert_allclose(merged, dense[s, a], atol=1e-12)
    assert initial_states == [0] and initial_cum is None and initial[0] == 1


def test_textbook_loop_learns_the_chain_q_star_on_the_greedy_path():
    env = fastq.make("Chain-v0", n_states=6)
    run = textbook_loop(env, episodes=300, alpha=0.5, gamma=0.9, epsilon=0.1, seed=0)
    q_star = env.value_iteration(gamma=0.9)
    last = env.n_states - 1
    assert run.q.argmax(axis=1)[:last].tolist() == [0] * last  # always forward
    # forward from s: rewards 1 until the end, Q*(s, forward) = sum_k 0.9^k over last - s steps
    np.testing.assert_allclose(run.q[:last, 0], q_star[:last, 0], atol=1e-6)
    np.testing.assert_allclose(q_star[:last, 0],
                               [(1 - 0.9 ** (last - s)) / 0.1 for s in range(last)])
    assert run.episodes == 300 and run.steps >= 300 * last


def test_textbook_loop_is_one_bellman_update_per_step():
    env = fastq.make("Chain-v0", n_states=3)
    # alpha 1, gamma 0: Q(s, a) becomes the last reward seen for (s, a)
    run = textbook_loop(env, steps=500, alpha=1.0, gamma=0.0, epsilon=1.0, seed=3)
    assert set(np.unique(run.q[:2])) <= {-1.0, 0.0, 1.0}
    assert (run.q[:2, 0] == 1.0).all() and run.q[1, 1] == -1.0 and run.q[0, 1] == -1.0


def test_textbook_loop_budgets_and_seeding():
    env = fastq.make("FrozenLake-v1")
    a = textbook_loop(env, episodes=20, seed=5)
    b = textbook_loop(env, episodes=20, seed=5)
    assert a.steps == b.steps and np.array_equal(a.q, b.q)
    assert textbook_loop(env, steps=100).steps >= 100
    timed = textbook_loop(env, seconds=0.05)
    assert timed.seconds >= 0.05 and timed.steps > 0 and timed.steps_per_second > 0
    with pytest.raises(ValueError, match="budget"):
        textbook_loop(env)
    with pytest.raises(ValueError, match="q must be float64"):
        textbook_loop(env, episodes=1, q=np.zeros((2, 2)))


def test_textbook_loop_random_initial_states():
    env = fastq.make("Taxi-v4")
    P, initial_states, initial_cum = textbook_tables(env)
    assert len(initial_states) > 1 and initial_cum is None  # uniform over its support
    custom = fastq.TabularEnv.from_arrays(np.full((3, 1, 3), 1 / 3), np.zeros((3, 1)),
                                          initial=[0.2, 0.3, 0.5], max_steps=2)
    _, states, cum = textbook_tables(custom)
    assert states == [0, 1, 2] and cum[-1] == 1.0
    assert textbook_loop(custom, episodes=10).steps == 20


def test_gymnasium_loop_learns_the_same_thing():
    pytest.importorskip("gymnasium")
    env = make_gymnasium("FrozenLake-v1", is_slippery=False)
    run = gymnasium_loop(env, episodes=400, alpha=0.5, gamma=0.9, epsilon=0.2, seed=0)
    q_star = fastq.make("FrozenLake-v1", is_slippery=False).value_iteration(gamma=0.9)
    # the start state's value along the greedy path (6 steps to the goal)
    assert run.q[0].max() == pytest.approx(q_star[0].max(), abs=1e-3)
    assert run.steps > 0 and run.episodes == 400


# ------------------------------------------------------------------ measuring
def test_measure_fastq_tiny():
    m = bench.measure_fastq("FL4", agents=8, threads=1, seconds=0.01, rounds=2)
    assert m.implementation == "fastq" and m.agents == 8 and m.threads == 1
    assert m.steps > 0 and len(m.rates) == 2 and m.steps_per_second > 0
    assert m.dtype == "float64"


def test_calibrate_episodes_sizes_to_the_budget(monkeypatch):
    class FakeRun:  # 1 ms per episode, whatever the machine is doing
        def __init__(self, episodes):
            self.seconds = episodes * 1e-3

    calls = []

    def fake_train(env, episodes, agents, dtype=None):
        calls.append(episodes)
        return FakeRun(episodes)

    monkeypatch.setattr(bench, "train_once", fake_train)
    assert bench.calibrate_episodes(None, 4, 1.0) == 1000
    assert calls[0] == 1 and all(b <= 8 * a for a, b in zip(calls[1:], calls[2:]))
    assert bench.calibrate_episodes(None, 4, 1e-6) == 1
    assert bench.calibrate_episodes(fastq.make("FrozenLake-v1"), 4, 1e-6) >= 1


def test_measure_textbook_tiny():
    m = bench.measure_textbook("W2", seconds=0.02)
    assert m.implementation == "textbook" and m.steps > 0 and m.steps_per_second > 0


def test_numba_threads_restores_and_validates():
    import numba

    before = numba.get_num_threads()
    with bench.numba_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with pytest.raises(ValueError, match="threads must be in"):
        with bench.numba_threads(numba.config.NUMBA_NUM_THREADS + 1):
            pass


def test_machine_names_the_cpu():
    info = bench.machine()
    assert info["cpu"] and info["cores"] >= 1 and info["numba_threads"] >= 1
    text = bench.describe_machine(info)
    assert info["cpu"] in text and info["numba"] in text


def test_cpu_load_is_a_number_or_nan():
    with bench.CpuLoad() as load:
        sum(range(10000))
    assert math.isnan(load.others_cpu) or load.others_cpu >= 0


def test_retry_contended_keeps_the_least_disturbed_measurement():
    cores = bench.machine_cores()
    made = iter([cores + 1.0, 0.0, 5.0])

    def measure():
        return bench.Measurement("fastq", "W1", 8, 1, 10, 1.0, (10.0,), others_cpu=next(made))

    assert bench.retry_contended(measure, 1, retries=0, wait=0).others_cpu == cores + 1.0
    made = iter([cores + 1.0, 0.0, 5.0])
    assert bench.retry_contended(measure, 1, retries=3, wait=0).others_cpu == 0.0


def test_wait_until_quiet_returns_within_the_timeout():
    others = bench.wait_until_quiet(1, timeout=0, window=0.01)
    assert math.isnan(others) or others >= 0


def test_supports_dtype_float64():
    assert bench.supports_dtype(np.float64)
    assert isinstance(bench.supports_dtype(np.float32), bool)


@pytest.mark.parametrize("x, text", [(48e6, "48.0 M"), (117.4e6, "117 M"), (88712, "88.7 k"),
                                     (999.7e3, "1.00 M"), (0.5, "0.500")])
def test_si(x, text):
    assert bench.si(x) == text


def test_report_table_and_ratio():
    rows = [bench.Measurement("textbook", "W1", 1, 1, 100, 1.0, (80e3,)),
            bench.Measurement("fastq", "W1", 1024, 2, 10**8, 1.0, (80e6,), others_cpu=1.0)]
    text = bench.format_table(rows, usable_cores=2)
    assert "1,000x" in text and "80.0 M †" in text and "others" in text
    md = bench.format_table(rows, markdown=True, usable_cores=2)
    assert md.startswith("| workload |") and "| 1,000x |" in md


# ------------------------------------------------------------------ the command
def test_fastq_bench_quick_like(capsys, tmp_path):
    out_json = tmp_path / "bench.json"
    status = cli.main(["bench", "--quick", "--seconds", "0.01", "--workloads", "FL4",
                       "--threads", "1", "--agents", "8", "--no-gymnasium",
                       "--json", str(out_json)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "machine" in out and "FL4 FrozenLake-v1" in out
    assert "textbook loop" in out and "fastq" in out
    rows = [line for line in out.splitlines() if line.startswith("FL4")]
    assert len(rows) == 3  # textbook, fastq 1 agent, fastq 8 agents on 1 thread
    data = json.loads(out_json.read_text())
    assert {r["implementation"] for r in data["rows"]} == {"textbook", "fastq"}
    assert data["machine"]["cpu"] and data["startup"] is None


def test_fastq_bench_markdown(capsys):
    status = cli.main(["bench", "--quick", "--seconds", "0.01", "--workloads", "W2",
                       "--threads", "1", "--agents", "4", "--no-gymnasium", "--markdown"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "| workload | implementation |" in out and "Machine:" in out


@pytest.mark.parametrize("argv, message", [
    (["--workloads", "W9"], "unknown workload 'W9'"),
    (["--agents", "0"], "--agents must be >= 1"),
    (["--seconds", "-1"], "--seconds must be a positive number"),
    (["--threads", "999"], "--threads must be in"),
    (["--retry-contended", "-1"], "--retry-contended must be >= 0"),
])
def test_fastq_bench_bad_input(capsys, argv, message):
    status = cli.main(["bench", "--quick", *argv])
    out, err = capsys.readouterr()
    assert status == 2 and message in err


def test_startup_probe_reports_times():
    times = bench.measure_startup(None, "FL4", agents=8)  # this process's (warm) cache
    assert set(times) == {"import_s", "make_s", "first_train_s", "first_parallel_train_s"}
    assert all(v >= 0 for v in times.values())
