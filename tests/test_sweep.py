"""fastq.sweep: rows equal train alone, table and summary maths, curves, search spaces,
memory bounds, bad grids."""
import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastq
import fastq.engine
from fastq.sweeps import _layout, stats
from fastq.sweeps.chunk import has_goal
from strategies import alphas, epsilons, gammas, mdps

FL = fastq.make("FrozenLake-v1")
GRID = {"alpha": [0.1, 0.5], "gamma": [0.9, 0.99],
        "epsilon": [0.1, fastq.linear(1.0, 0.05, over=0.5)]}


def columns(table):
    """{name: ndarray} of a DataFrame or of fastq's Columns."""
    return {k: np.asarray(v) for k, v in table.items()}


def same_tables(a, b, skip=("seconds",)):
    a, b = columns(a), columns(b)
    assert list(a) == list(b)
    for k in a:
        if k not in skip:
            assert a[k].dtype == b[k].dtype, k
            assert np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f"), k
    return True


def quiet(env=FL, grid=GRID, **kw):
    kw.setdefault("seeds", 3)
    kw.setdefault("episodes", 120)
    kw.setdefault("progress", False)
    return fastq.sweep(env, grid, **kw)


# ------------------------------------------------------------------ rows == train alone
@pytest.mark.parametrize("grid", [
    {"algorithm": ["q_learning", "double_q", "sarsa", "expected_sarsa"], "alpha": [0.1, 0.5],
     "epsilon": [0.1, fastq.linear(1.0, 0.05, over=0.5)]},
    {"exploration": ["epsilon_greedy", "softmax"],
     "temperature": [0.5, fastq.exponential(2.0, 0.1, 0.99)],
     "q_init": [0.0, 1.0], "max_steps": [50, None]},
    {"alpha": [0.1, 0.5], "envs": [1, 2], "dtype": ["float64", "float32"],
     "gamma": [0.9, 0.99]},
], ids=["algorithms", "exploration-q_init-max_steps", "envs-dtype"])
def test_row_is_agent_k_of_train_alone_bit_for_bit(grid):
    """Configs of different groups (algorithm, exploration, max_steps) and per-agent
    values (alpha, epsilon, temperature schedules, q_init) batched together."""
    res = quiet(grid=grid, seed=11, curve="episodes", eval_episodes=40, eval_seed=5,
                chunk_agents=9)
    t = columns(res.table)
    assert len(res.configs) == 16 and res.curves.shape == (16, 3, 120)
    for c, config in enumerate(res.configs):
        run = fastq.train(FL, episodes=120, agents=3, seed=11, **config)
        rows = slice(3 * c, 3 * c + 3)
        assert np.array_equal(res.curves[c], run.returns)
        assert np.array_equal(t["final_return"][rows], run.final_return(0.1))
        assert np.array_equal(t["auc"][rows], run.returns.mean(axis=1))
        assert np.array_equal(t["steps"][rows], run.lengths.sum(axis=1))
        assert np.array_equal(t["eval_return"][rows], run.evaluate(40, seed=5))
        assert np.array_equal(t["success_rate"][rows], (run.returns > 0).mean(axis=1))


@settings(max_examples=8)
@given(env=mdps(), alpha=st.lists(alphas, min_size=1, max_size=3),
       epsilon=st.lists(epsilons, min_size=1, max_size=2),
       gamma=st.lists(gammas, min_size=1, max_size=2), seed=st.integers(0, 2**64 - 1),
       chunk=st.integers(1, 12))
def test_row_is_agent_k_on_random_mdps(env, alpha, epsilon, gamma, seed, chunk):
    res = fastq.sweep(env, {"alpha": alpha, "epsilon": epsilon, "gamma": gamma}, seeds=2,
                      episodes=6, seed=seed, curve="episodes", eval_episodes=3,
                      chunk_agents=chunk, progress=False)
    t = columns(res.table)
    for c, config in enumerate(res.configs):
        run = fastq.train(env, episodes=6, agents=2, seed=seed, **config)
        assert np.array_equal(res.curves[c], run.returns)
        assert np.array_equal(t["eval_return"][2 * c:2 * c + 2], run.evaluate(3, seed=seed))


def test_rows_do_not_depend_on_the_rest_of_the_sweep_or_the_chunking():
    alone = quiet(grid={"alpha": [0.5], "gamma": [0.99], "epsilon": [0.1]}, seed=3)
    big = quiet(seed=3, chunk_agents=3)
    other = quiet(seed=3, chunk_agents=1000)
    assert same_tables(big.table, other.table)
    assert np.array_equal(big.curves, other.curves)
    c = next(i for i, cfg in enumerate(big.configs)
             if cfg["alpha"] == 0.5 and cfg["gamma"] == 0.99 and cfg["epsilon"] == 0.1)
    t, a = columns(big.table), columns(alone.table)
    for k in ("final_return", "auc", "eval_return", "steps"):
        assert np.array_equal(t[k][3 * c:3 * c + 3], a[k])


def test_different_seeds_give_different_rows():
    a, b = (columns(quiet(seed=s, episodes=200).table) for s in (0, 1))
    assert not np.array_equal(a["steps"], b["steps"])


def test_progress_bar_counts_agents_and_chunks(capsys):
    pytest.importorskip("tqdm")
    quiet(grid={"alpha": [0.1, 0.5]}, chunk_agents=3, progress=True)
    err = capsys.readouterr().err
    assert "6/6" in err and "agent/s" in err and "chunk 2/2" in err
    quiet(grid={"alpha": [0.1, 0.5]}, chunk_agents=3, progress=False)
    assert capsys.readouterr().err == ""


def test_import_fastq_loads_no_optional_dependency():
    import subprocess
    import sys

    # (not scipy: numba itself imports it when it is installed)
    code = ("import sys, fastq; print(sorted(m for m in ('pandas', 'matplotlib', 'dask', "
            "'distributed', 'tqdm', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------ table and summary
def test_table_columns_order_and_types():
    res = quiet()
    t = columns(res.table)
    assert list(t) == ["config", "algorithm", "alpha", "gamma", "epsilon", "seed",
                       "final_return", "auc", "eval_return", "success_rate", "steps",
                       "seconds"]
    assert len(res.table) == 8 * 3
    assert list(t["config"]) == [c for c in range(8) for _ in range(3)]  # config-major
    assert list(t["seed"]) == [0, 1, 2] * 8
    assert t["alpha"].dtype == np.float64 and t["gamma"].dtype == np.float64
    assert set(t["epsilon"]) == {"0.1", "linear(1.0, 0.05, over=0.5)"}  # schedules as text
    assert set(t["algorithm"]) == {"q_learning"}
    assert t["steps"].dtype == np.int64 and (t["steps"] >= 120).all()
    assert ((0 <= t["final_return"]) & (t["final_return"] <= 1)).all()
    assert (t["seconds"] > 0).all()
    assert list(res.axes) == ["alpha", "gamma", "epsilon"]
    # the product of the axes in the order given, last axis fastest
    assert [(c["alpha"], c["gamma"]) for c in res.configs[:4]] == \
        [(0.1, 0.9), (0.1, 0.9), (0.1, 0.99), (0.1, 0.99)]


def test_final_return_window_and_auc_against_numpy():
    res = quiet(grid={"alpha": [0.5]}, episodes=95, curve="episodes")
    t = columns(res.table)
    returns = res.curves[0]
    k = round(95 * 0.1)  # the last 10% of the episodes: 10 (9.5 rounds to 10)
    assert np.allclose(t["final_return"], returns[:, -k:].mean(axis=1), rtol=0, atol=1e-15)
    assert np.allclose(t["auc"], returns.mean(axis=1), rtol=0, atol=1e-15)


def test_no_success_rate_without_a_goal():
    chain = fastq.make("Chain-v0", n_states=5)
    res = quiet(env=chain, grid={"alpha": [0.1, 0.5]})
    assert "success_rate" not in columns(res.table)
    assert [has_goal(fastq.make(e)) for e in ("FrozenLake-v1", "FrozenLake8x8-v1", "Taxi-v4",
                                              "CliffWalking-v1", "Chain-v0")] == \
        [True, True, False, False, False]


def test_summary_mean_std_and_t_interval_against_a_direct_computation():
    res = quiet(seeds=3)
    t, s = columns(res.table), columns(res.summary())
    assert list(s["config"]) == list(range(8)) and set(s["n_seeds"]) == {3}
    t975 = 0.95 / math.sqrt(2 * 0.975 * 0.025)  # exact quantile of t with 2 dof
    for m in ("final_return", "auc", "eval_return", "success_rate"):
        x = t[m].reshape(8, 3)
        mean = x.mean(axis=1)
        std = np.sqrt(((x - mean[:, None]) ** 2).sum(axis=1) / 2)
        assert np.allclose(s[f"{m}_mean"], mean, rtol=1e-12, atol=1e-15)
        assert np.allclose(s[f"{m}_std"], std, rtol=1e-12, atol=1e-15)
        half = t975 * std / math.sqrt(3)
        assert np.allclose(s[f"{m}_ci_low"], mean - half, rtol=1e-10, atol=1e-14)
        assert np.allclose(s[f"{m}_ci_high"], mean + half, rtol=1e-10, atol=1e-14)
    assert np.array_equal(s["steps"], t["steps"].reshape(8, 3).sum(axis=1))
    for name in ("alpha", "gamma", "epsilon"):
        assert np.array_equal(s[name], t[name][::3])


def test_one_seed_has_no_interval():
    s = columns(quiet(seeds=1).summary())
    assert np.isnan(s["final_return_std"]).all() and np.isnan(s["final_return_ci_low"]).all()


@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.995])
def test_t_quantile_closed_forms_and_scipy(p):
    assert stats.t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-12)
    assert stats.t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)),
                                                   rel=1e-12)
    a = 4 * p * (1 - p)
    t4 = 2 * math.sqrt(math.cos(math.acos(math.sqrt(a)) / 3) / math.sqrt(a) - 1)
    assert stats.t_quantile(p, 4) == pytest.approx(t4, rel=1e-12)
    assert stats.t_quantile(1 - p, 4) == pytest.approx(-t4, rel=1e-12)
    # many degrees of freedom: the normal quantile (erf-based, via bisection here)
    z = _normal_quantile(p)
    assert stats.t_quantile(p, 1e7) == pytest.approx(z, rel=1e-5)
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 3, 7, 15, 31, 127):
        assert stats.t_quantile(p, df) == pytest.approx(scipy_stats.t.ppf(p, df), rel=1e-10)


def _normal_quantile(p):
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p else (lo, mid)
    return (lo + hi) / 2


def test_t_cdf_matches_numerical_integration_of_the_density():
    df = 5
    x = np.linspace(-60, 1.7, 400_001)
    pdf = (math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
           * (1 + x**2 / df) ** (-(df + 1) / 2))
    integral = np.sum((pdf[1:] + pdf[:-1]) / 2 * np.diff(x))
    tail = 1 - stats.t_cdf(60, df)
    assert stats.t_cdf(1.7, df) == pytest.approx(integral + tail, abs=1e-8)


def test_best_and_top():
    res = quiet()
    s = columns(res.summary())
    best = res.best("final_return")
    c = int(np.argmax(s["final_return_mean"]))
    assert best["config"] == c and best["final_return_mean"] == s["final_return_mean"][c]
    assert best["alpha"] == res.configs[c]["alpha"]
    assert res.best("eval_return")["config"] == int(np.argmax(s["eval_return_mean"]))
    assert res.best("final_return_ci_low")["config"] == int(np.argmax(s["final_return_ci_low"]))
    top = columns(res.top(3, "auc"))
    assert list(top["config"]) == list(np.argsort(-s["auc_mean"], kind="stable")[:3])
    with pytest.raises(ValueError, match="unknown metric 'final_retrun'.*final_return"):
        res.best("final_retrun")


# ------------------------------------------------------------------ curves and memory
def test_curves_every_k_are_stride_means():
    full = quiet(grid={"alpha": [0.5]}, episodes=125, curve="episodes")
    every = quiet(grid={"alpha": [0.5]}, episodes=125, curve="every:20")
    assert every.curves.shape == (1, 3, 7)
    assert list(every.curve_episodes) == [20, 40, 60, 80, 100, 120, 125]
    r = full.curves[0]
    expected = np.stack([r[:, i:i + 20].mean(axis=1) for i in range(0, 125, 20)], axis=1)
    assert np.allclose(every.curves[0], expected, rtol=0, atol=1e-14)


def test_curves_running_k_are_running_means():
    full = quiet(grid={"alpha": [0.5]}, episodes=100, curve="episodes")
    running = quiet(grid={"alpha": [0.5]}, episodes=100, curve="running:8")
    ends = running.curve_episodes
    assert list(ends) == [12, 25, 37, 50, 62, 75, 87, 100]
    expected = np.stack([full.curves[0][:, :e].mean(axis=1) for e in ends], axis=1)
    assert np.allclose(running.curves[0], expected, rtol=0, atol=1e-14)
    assert np.allclose(running.curves[0][:, -1], columns(running.table)["auc"])
    none = quiet(grid={"alpha": [0.5]}, episodes=100, curve="none")
    assert none.curves.shape == (1, 3, 0)


def test_curve_memory_is_bounded_by_the_stride(monkeypatch):
    """Checked by array sizes: every train call holds at most chunk_agents agents, and the
    result keeps only n_points numbers per agent."""
    calls = []
    train = fastq.engine.train

    @functools.wraps(train)
    def spy(env, **kw):
        run = train(env, **kw)
        calls.append(run.returns.shape)
        return run

    monkeypatch.setattr(fastq.engine, "train", spy)
    res = quiet(grid={"alpha": [0.1, 0.2, 0.3, 0.4, 0.5]}, seeds=4, episodes=400,
                curve="every:100", chunk_agents=8, eval_episodes=0)
    real = [shape for shape in calls if shape[1] == 400]  # not the one-episode dry run
    assert real == [(8, 400), (8, 400), (4, 400)]  # whole configs of 4 seeds, <= 8 agents
    assert res.curves.shape == (5, 4, 4) and res.curves.nbytes == 5 * 4 * 4 * 8
    assert np.isnan(columns(res.table)["eval_return"]).all()  # eval_episodes=0 skips it


def test_default_chunks_fit_the_memory_budget_at_100k_agents():
    env = fastq.make("FrozenLake8x8-v1")
    groups = {"q_learning": list(range(12_500))}  # 12,500 configs x 8 seeds
    chunks = _layout(groups, 8, 5000, env, None, 12_500)
    per_agent = 24 * 5000 + 16 * 64 * 4 + 256
    assert sum(map(len, chunks)) == 12_500
    assert max(len(c) for c in chunks) * 8 * per_agent <= fastq.sweeps.CHUNK_BYTES
    assert len(chunks) >= 16
    n_points = fastq.sweeps.parse_curve("auto", 5000).points(5000).size
    assert n_points == 100  # auto curves: 100,000 agents x 100 points = 80 MB


# ------------------------------------------------------------------ plots
def test_plot_curves_draws_mean_and_t_band_of_the_best_configs(tmp_path):
    pytest.importorskip("matplotlib")
    res = quiet(curve="every:30")
    fig = res.plot_curves(tmp_path / "c.png", n=3)
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    ax = fig.axes[0]
    best = [int(c) for c in columns(res.top(3))["config"]]
    assert len(ax.lines) == 3 and len(ax.collections) == 3  # a line and a band per config
    for line, c in zip(ax.lines, best):
        assert np.array_equal(line.get_xdata(), [30, 60, 90, 120])
        assert np.allclose(line.get_ydata(), res.curves[c].mean(axis=0))
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    half = stats.t_quantile(0.975, 2) * res.curves[best[0]].std(axis=0, ddof=1) / math.sqrt(3)
    assert np.allclose(band.max(), (res.curves[best[0]].mean(axis=0) + half).max())


def test_plot_heatmap_shows_the_summary_means(tmp_path):
    pytest.importorskip("matplotlib")
    res = quiet()
    fig = res.plot_heatmap("alpha", "gamma", path=tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
    grid = np.asarray(fig.axes[0].images[0].get_array())
    s = columns(res.summary())
    for i, gamma in enumerate([0.9, 0.99]):
        for j, alpha in enumerate([0.1, 0.5]):
            sel = (s["alpha"] == alpha) & (s["gamma"] == gamma)
            assert grid[i, j] == pytest.approx(s["final_return_mean"][sel].mean())
    best = np.asarray(res.plot_heatmap("alpha", "gamma", agg="max").axes[0].images[0]
                      .get_array())
    assert best[1, 1] == s["final_return_mean"][(s["alpha"] == 0.5) & (s["gamma"] == 0.99)].max()
    with pytest.raises(ValueError, match="unknown x 'alpah'"):
        res.plot_heatmap("alpah", "gamma")


# ------------------------------------------------------------------ search spaces
def test_random_search_is_seeded_and_within_bounds():
    space = {"alpha": fastq.loguniform(1e-3, 1), "gamma": fastq.uniform(0.9, 0.999),
             "epsilon": [0.05, 0.1, 0.2], "max_steps": 60}
    a = quiet(grid=None, space=space, samples=12, seeds=2, episodes=20, seed=4)
    b = quiet(grid=None, space=space, samples=12, seeds=2, episodes=20, seed=4)
    c = quiet(grid=None, space=space, samples=12, seeds=2, episodes=20, seed=4, sample_seed=9)
    assert a.configs == b.configs and a.configs != c.configs
    alpha = np.array([cfg["alpha"] for cfg in a.configs])
    assert ((1e-3 <= alpha) & (alpha < 1)).all()
    assert all(0.9 <= cfg["gamma"] < 0.999 for cfg in a.configs)
    assert {cfg["epsilon"] for cfg in a.configs} <= {0.05, 0.1, 0.2}
    assert all(cfg["max_steps"] == 60 for cfg in a.configs)
    rng = np.random.default_rng(4)  # the documented draw: axis by axis, in order
    assert np.array_equal(alpha, np.exp(rng.uniform(math.log(1e-3), 0.0, 12)))
    assert a.axes == ["alpha", "gamma", "epsilon", "max_steps"]


def test_grid_times_space_and_explicit_configs():
    res = quiet(grid={"epsilon": [0.05, 0.2]}, space={"alpha": fastq.uniform(0.1, 0.9)},
                samples=3, seeds=1, episodes=10)
    assert [c["epsilon"] for c in res.configs] == [0.05] * 3 + [0.2] * 3
    assert [c["alpha"] for c in res.configs[:3]] == [c["alpha"] for c in res.configs[3:]]
    explicit = quiet(grid=[{"alpha": 0.3}, {"alpha": 0.6, "epsilon": fastq.constant(0.2)}],
                     seeds=1, episodes=10)
    assert [c["alpha"] for c in explicit.configs] == [0.3, 0.6]
    assert explicit.configs[0]["epsilon"] == 0.1  # train's default filled in


# ------------------------------------------------------------------ bad grids
@pytest.mark.parametrize("kwargs, error, words", [
    (dict(grid={"alpha": []}), ValueError, "grid axis 'alpha' is empty"),
    (dict(grid={"alpah": [0.1]}), ValueError,
     "unknown sweep parameter 'alpah'.*did you mean 'alpha'"),
    (dict(grid={"gamma": [0.9, 1.5]}), ValueError,
     r"gamma = 1.5: gamma must be in \[0, 1\]; got 1.5"),
    (dict(grid={"alpha": [0.1, 0.0]}), ValueError,
     r"alpha = 0.0: alpha must be in \(0, 1\]; got 0.0"),
    (dict(grid={"epsilon": [fastq.linear(1.5, 0.1, 10)]}), ValueError,
     r"epsilon = linear\(1.5.*epsilon schedule start must be in \[0, 1\]; got .*1.5"),
    (dict(grid={"gamma": [fastq.linear(1.0, 0.5, 10)]}), TypeError, "gamma must be a real number"),
    (dict(grid={"algorithm": ["q_lerning"]}), ValueError,
     "unknown algorithm 'q_lerning'.*did you mean 'q_learning'"),
    (dict(grid={"max_steps": [0]}), ValueError, "max_steps = 0: max_steps must be an integer >= 1"),
    (dict(grid={"q_init": [np.zeros((3, 3))]}), ValueError, r"q_init.*shape \(16, 4\)"),
    (dict(grid={"seed": [1, 2]}), ValueError, "'seed' is set by the sweep itself"),
    (dict(grid={"alpha": [0.1]}, alpha=0.2), ValueError, "'alpha' is both swept and fixed"),
    (dict(grid={"alpha": [0.1]}, alhpa=0.2), TypeError,
     "unexpected keyword argument 'alhpa'.*'alpha'"),
    (dict(grid=[{"alpha": 0.1}, {"gama": 0.9}]), ValueError, r"'gama' in grid\[1\].*'gamma'"),
    (dict(grid=0.1), TypeError, "grid must be a dict"),
    (dict(grid={"alpha": fastq.uniform(0.1, 0.5)}), TypeError, "put it in space="),
    (dict(space={"alpha": fastq.loguniform(1e-3, 2)}, samples=4), ValueError,
     r"space\['alpha'\] = loguniform\(0.001, 2\): alpha must be in \(0, 1\]; got 2.0"),
    (dict(space={"alpha": fastq.uniform(0.1, 0.5)}), ValueError, "space= needs samples="),
    (dict(samples=4), ValueError, "samples=4 needs space="),
    (dict(space={"alpha": fastq.uniform(0.1, 0.5)}, grid={"alpha": [0.2]}, samples=2),
     ValueError, "'alpha' is both in grid and in space"),
    (dict(seeds=0), ValueError, "seeds must be an integer >= 1; got 0"),
    (dict(episodes=-1), ValueError, "episodes must be an integer >= 1; got -1"),
    (dict(curve="every:0"), ValueError, "curve must be"),
    (dict(resume="yes"), TypeError, "resume must be True or False; got 'yes'"),
    (dict(executor="dask"), TypeError, "executor must be a concurrent.futures.Executor"),
])
def test_bad_grids_are_refused_before_any_work(kwargs, error, words, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(fastq.engine, "train",
                        functools.wraps(fastq.engine.train)(lambda *a, **k: calls.append(1)))
    kwargs = {"seeds": 2, "episodes": 10, "grid": None, **kwargs}
    with pytest.raises(error, match=words):
        fastq.sweep(FL, out=tmp_path / "sweep", progress=False, **kwargs)
    assert calls == [] and not (tmp_path / "sweep").exists()


def test_resume_needs_a_directory():
    with pytest.raises(ValueError, match="resume=True needs out="):
        quiet(resume=True)


def test_distributions_reject_bad_bounds():
    with pytest.raises(ValueError, match="loguniform needs low > 0; got low=0"):
        fastq.loguniform(0, 1)
    with pytest.raises(ValueError, match="needs low < high; got low=0.5, high=0.1"):
        fastq.uniform(0.5, 0.1)
    with pytest.raises(TypeError, match="uniform low must be a finite number"):
        fastq.uniform(float("nan"), 1)


def test_a_failing_group_keyword_is_reported_with_its_config(monkeypatch):
    @functools.wraps(fastq.engine.train)
    def refuse(*args, **kwargs):
        raise ValueError("widgets must be >= 1; got 0")

    monkeypatch.setattr(fastq.engine, "train", refuse)
    with pytest.raises(ValueError, match=r"config 0 \(alpha=0.1\): widgets must be >= 1"):
        quiet(grid={"alpha": [0.1]})
