"""Sweeps on disk: chunk files as they finish, resume after a kill or Ctrl-C, files."""
import functools
import json
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fastq
import fastq.engine
from fastq.sweeps import execute, results

FL = fastq.make("FrozenLake-v1")
GRID = {"alpha": [0.1, 0.3, 0.5], "gamma": [0.9, 0.99], "epsilon": [0.05, 0.2]}
KW = dict(seeds=3, episodes=150, chunk_agents=6, eval_episodes=30, seed=5, progress=False)


def columns(table):
    return {k: np.asarray(v) for k, v in table.items()}


def assert_same(a, b, skip=("seconds",)):
    """Same table (but for the machine-dependent seconds) and the same curves."""
    ta, tb = columns(a.table), columns(b.table)
    assert list(ta) == list(tb)
    for k in ta:
        if k not in skip:
            assert np.array_equal(ta[k], tb[k], equal_nan=ta[k].dtype.kind == "f"), k
    assert np.array_equal(a.curves, b.curves, equal_nan=True)


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted sweep, computed once without out=."""
    return fastq.sweep(FL, GRID, **KW)


def chunk_files(out):
    return sorted(p.name for p in (out / "chunks").iterdir())


def test_out_writes_manifest_chunks_table_and_summary(tmp_path, reference):
    out = tmp_path / "sweep"
    res = fastq.sweep(FL, GRID, out=out, **KW)
    assert_same(res, reference)
    assert chunk_files(out) == [f"chunk-{i:06d}.npz" for i in range(6)]  # 12 configs, 2 a chunk
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "fastq.sweep/1"
    assert manifest["chunks"] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    d = manifest["definition"]
    assert (d["seeds"], d["episodes"], d["seed"], d["axes"]) == (3, 150, 5, list(GRID))
    assert d["env"]["name"] == "FrozenLake-v1" and len(d["env"]["sha256"]) == 64
    assert d["configs"][0] == {"algorithm": "q_learning", "alpha": 0.1, "gamma": 0.9,
                               "epsilon": 0.05}
    header = (out / "table.csv").read_text().splitlines()[0].split(",")
    assert header == list(columns(res.table))
    assert len((out / "table.csv").read_text().splitlines()) == 1 + 36
    assert len((out / "summary.csv").read_text().splitlines()) == 1 + 12
    assert_same(fastq.load_sweep(out), res)


def test_an_existing_sweep_is_not_overwritten(tmp_path):
    out = tmp_path / "sweep"
    fastq.sweep(FL, {"alpha": [0.1]}, out=out, **KW)
    with pytest.raises(ValueError, match="already holds a sweep.*resume=True"):
        fastq.sweep(FL, {"alpha": [0.1]}, out=out, **KW)


def test_resume_refuses_a_different_sweep(tmp_path):
    out = tmp_path / "sweep"
    fastq.sweep(FL, {"alpha": [0.1, 0.2]}, out=out, **KW)
    with pytest.raises(ValueError, match=r"different sweep \(episodes: 150 there, 160 here\)"):
        fastq.sweep(FL, {"alpha": [0.1, 0.2]}, out=out, resume=True, **{**KW, "episodes": 160})
    with pytest.raises(ValueError, match="different sweep.*config 1 is"):
        fastq.sweep(FL, {"alpha": [0.1, 0.3]}, out=out, resume=True, **KW)
    with pytest.raises(ValueError, match=r"different sweep \(env: .*FrozenLake8x8"):
        fastq.sweep(fastq.make("FrozenLake8x8-v1"), {"alpha": [0.1, 0.2]}, out=out,
                    resume=True, **KW)


SCRIPT = """
import os, signal, sys
import fastq
from fastq.sweeps import storage

write = storage.write_chunk

def write_then_die(out, result):  # SIGKILL (no cleanup at all) after the 3rd chunk
    path = write(out, result)
    if len(os.listdir(path.parent)) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return path

storage.write_chunk = write_then_die
fastq.sweep(fastq.make("FrozenLake-v1"), {grid!r}, out=sys.argv[1], **{kw!r})
print("finished")
"""


def test_resume_after_killing_the_process_gives_the_identical_table(tmp_path, reference,
                                                                    monkeypatch):
    out = tmp_path / "sweep"
    script = SCRIPT.format(grid=GRID, kw=KW)
    proc = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "finished" not in proc.stdout
    assert chunk_files(out) == [f"chunk-{i:06d}.npz" for i in range(3)]
    assert not (out / "table.csv").exists()
    partial = fastq.load_sweep(out)  # the partial table is readable
    assert not partial.complete and len(partial.table) == 3 * 2 * 3
    assert list(partial.finished) == [True] * 6 + [False] * 6

    ran = []
    run_chunk = execute.run_chunk
    monkeypatch.setattr(execute, "run_chunk", lambda task: ran.append(task.chunk)
                        or run_chunk(task))
    res = fastq.sweep(FL, GRID, out=out, resume=True, **KW)
    assert ran == [3, 4, 5]  # finished chunks are read, not recomputed
    assert res.complete
    assert_same(res, reference)
    assert_same(fastq.load_sweep(out), reference)
    ran.clear()
    again = fastq.sweep(FL, GRID, out=out, resume=True, **KW)  # nothing left to do
    assert ran == [] and again.computed_agents == 0
    assert_same(again, reference)


def test_ctrl_c_keeps_finished_chunks_and_a_readable_partial_table(tmp_path, reference,
                                                                   monkeypatch):
    out = tmp_path / "sweep"
    run_chunk = execute.run_chunk
    calls = []

    def interrupt_third(task):
        calls.append(task.chunk)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return run_chunk(task)

    monkeypatch.setattr(execute, "run_chunk", interrupt_third)
    with pytest.warns(UserWarning, match="interrupted: keeping the 2 of 6 chunks finished"):
        res = fastq.sweep(FL, GRID, out=out, **KW)
    assert not res.complete and len(res.table) == 2 * 2 * 3
    assert chunk_files(out) == ["chunk-000000.npz", "chunk-000001.npz"]
    assert np.isnan(res.curves[4:]).all() and not np.isnan(res.curves[:4]).any()
    assert_same(fastq.load_sweep(out), res)
    t, r = columns(res.table), columns(reference.table)
    assert np.array_equal(t["final_return"], r["final_return"][:12])
    monkeypatch.setattr(execute, "run_chunk", run_chunk)
    assert_same(fastq.sweep(FL, GRID, out=out, resume=True, **KW), reference)


def _wrapped_train(monkeypatch, after):
    train = fastq.engine.train

    @functools.wraps(train)
    def wrapper(env, **kw):
        return after(train(env, **kw), kw)

    monkeypatch.setattr(fastq.engine, "train", wrapper)


def test_ctrl_c_caught_inside_train_is_not_lost(tmp_path, monkeypatch, reference):
    """train() turns Ctrl-C into a warning and a shorter run; the sweep notices both."""
    def cut_short(run, kw):  # Ctrl-C during the 2nd chunk's kernel calls
        if kw["episodes"] > 1 and kw.get("stream_ids") is not None and cut_short.n == 1:
            warnings.warn("interrupted: keeping the 10 episodes finished", stacklevel=2)
            run.episodes_done = 10  # what train() keeps: the episodes finished
        cut_short.n += kw["episodes"] > 1
        return run

    cut_short.n = 0
    _wrapped_train(monkeypatch, cut_short)
    out = tmp_path / "a"
    with pytest.warns(UserWarning, match="keeping the 1 of 6 chunks"):
        res = fastq.sweep(FL, GRID, out=out, **KW)
    assert chunk_files(out) == ["chunk-000000.npz"]  # the cut chunk is not saved

    def after_the_last_call(run, kw):  # Ctrl-C once the kernels were done: chunk complete
        if kw["episodes"] > 1 and after_the_last_call.n == 1:
            warnings.warn("interrupted: keeping the 150 episodes finished", stacklevel=2)
        after_the_last_call.n += kw["episodes"] > 1
        return run

    after_the_last_call.n = 0
    _wrapped_train(monkeypatch, after_the_last_call)
    out = tmp_path / "b"
    with pytest.warns(UserWarning, match="keeping the 2 of 6 chunks"):
        res = fastq.sweep(FL, GRID, out=out, **KW)
    assert chunk_files(out) == ["chunk-000000.npz", "chunk-000001.npz"]
    assert np.array_equal(columns(res.table)["auc"], columns(reference.table)["auc"][:12])


def test_a_damaged_chunk_file_is_recomputed(tmp_path, reference):
    out = tmp_path / "sweep"
    fastq.sweep(FL, GRID, out=out, **KW)
    (out / "chunks" / "chunk-000002.npz").write_bytes(b"not a zip file")
    (out / "chunks" / "chunk-000004.npz").unlink()
    (out / "table.csv").unlink()
    with pytest.warns(UserWarning, match="chunk-000002.npz.*recomputed"):
        res = fastq.sweep(FL, GRID, out=out, resume=True, **KW)
    assert_same(res, reference)
    assert (out / "table.csv").exists()


def test_resume_keeps_the_directory_chunk_layout(tmp_path, reference):
    out = tmp_path / "sweep"
    fastq.sweep(FL, GRID, out=out, **KW)
    kw = {k: v for k, v in KW.items() if k != "chunk_agents"}
    assert_same(fastq.sweep(FL, GRID, out=out, resume=True, **kw), reference)
    with pytest.raises(ValueError, match="another chunk_agents"):
        fastq.sweep(FL, GRID, out=out, resume=True, **{**KW, "chunk_agents": 3})


# ------------------------------------------------------------------ files
def test_csv_and_parquet_round_trip(tmp_path, reference):
    pd = pytest.importorskip("pandas")
    path = reference.to_csv(tmp_path / "t.csv")
    back = pd.read_csv(path)
    table = reference.table
    for k in table:
        if table[k].dtype.kind == "f":
            assert np.array_equal(back[k].to_numpy(), table[k].to_numpy(), equal_nan=True), k
        else:
            assert list(back[k].astype(str)) == list(table[k].astype(str)), k
    summary = pd.read_csv(reference.to_csv(tmp_path / "s.csv", summary=True))
    assert list(summary.columns) == list(reference.summary().columns)
    pytest.importorskip("pyarrow")
    back = pd.read_parquet(reference.to_parquet(tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(back, table)


def test_without_pandas_tables_are_dicts_of_numpy_columns(tmp_path, monkeypatch, reference):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    table = reference.table
    assert type(table) is results.Columns and len(table) == 36
    assert "pandas is not installed" in repr(table)
    assert isinstance(table["final_return"], np.ndarray)
    summary = reference.summary()
    assert type(summary) is results.Columns and len(summary) == 12
    assert isinstance(reference.best(), dict)
    path = reference.to_csv(tmp_path / "t.csv")
    lines = path.read_text().splitlines()
    assert lines[0].split(",") == list(table)
    first = dict(zip(lines[0].split(","), lines[1].split(",")))
    assert float(first["final_return"]) == table["final_return"][0]  # repr: exact
    assert first["algorithm"] == "q_learning" and int(first["steps"]) == table["steps"][0]
