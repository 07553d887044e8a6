"""A sweep on disk: ``manifest.json`` (the definition) and one ``.npz`` per finished chunk.

::

    DIR/manifest.json            the sweep's definition, its configs and chunk layout
    DIR/chunks/chunk-000007.npz  one finished chunk (written to a temporary name, then
                                 renamed: a killed process never leaves half a chunk)
    DIR/table.csv, summary.csv   written when the sweep completes
    DIR/figures/*.png            ``fastq sweep --plot``

``resume=True`` reads the manifest, checks that it describes the same sweep,
and skips every chunk whose file is there. :func:`load_sweep` reads a
directory, finished or not, into a :class:`~fastq.sweeps.results.SweepResult`.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from .space import from_json, to_json

FORMAT = "fastq.sweep/1"
MANIFEST = "manifest.json"
CHUNKS = "chunks"


def env_fingerprint(env) -> dict:
    """Name, sizes, time limit and a hash of the dynamics (a resumed sweep must match)."""
    h = hashlib.sha256()
    for arr in (env.offsets, env.probs, env.next_states, env.rewards, env.terminated,
                env.initial):
        h.update(np.ascontiguousarray(arr).tobytes())
    return {"name": env.name, "n_states": env.n_states, "n_actions": env.n_actions,
            "max_steps": env.max_steps, "sha256": h.hexdigest()}


def definition(env, configs, axes, seeds, episodes, seed, eval_episodes, eval_seed,
               curve, goal) -> dict:
    """The JSON description of a sweep: what determines every number of its table."""
    return {
        "env": env_fingerprint(env),
        "axes": list(axes),
        "configs": [{k: to_json(v) for k, v in c.items()} for c in configs],
        "seeds": seeds, "episodes": episodes, "seed": seed,
        "eval_episodes": eval_episodes, "eval_seed": eval_seed,
        "curve": str(curve), "success_rate": goal,
    }


def chunk_path(out: Path, chunk: int) -> Path:
    return out / CHUNKS / f"chunk-{chunk:06d}.npz"


def prepare(out, spec: dict, chunks: list, resume: bool, chunk_agents_given: bool):
    """Create or reopen ``out``; returns (directory, chunk layout, {chunk: arrays} finished).

    A new sweep writes its manifest; ``resume`` checks the manifest against
    ``spec`` and keeps its chunk layout (unless chunk_agents was given and differs).
    """
    out = Path(out)
    manifest = out / MANIFEST
    finished = {}
    if manifest.exists():
        old = read_manifest(out)
        done = sorted(out.glob(f"{CHUNKS}/chunk-*.npz"))
        if not resume:
            raise ValueError(f"out={str(out)!r} already holds a sweep ({len(done)} of "
                             f"{len(old['chunks'])} chunks finished); pass resume=True "
                             "(--resume) to continue it, or choose another directory")
        _same_sweep(out, old["definition"], spec)
        if chunk_agents_given and [list(c) for c in chunks] != old["chunks"]:
            raise ValueError(f"out={str(out)!r} was written with another chunk_agents "
                             "(chunk layout); resume without chunk_agents to keep its layout")
        chunks = [tuple(c) for c in old["chunks"]]
        for i, ids in enumerate(chunks):
            arrays = read_chunk(out, i, ids)
            if arrays is not None:
                finished[i] = arrays
    else:
        (out / CHUNKS).mkdir(parents=True, exist_ok=True)
        from .. import __version__

        _write_json(manifest, {"format": FORMAT, "fastq_version": __version__,
                               "definition": spec,
                               "chunks": [list(map(int, c)) for c in chunks]})
    (out / CHUNKS).mkdir(parents=True, exist_ok=True)
    return out, chunks, finished


def read_manifest(out) -> dict:
    path = Path(out) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the sweep manifest {str(path)!r}: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a fastq sweep manifest "
                         f"(format {manifest.get('format')!r}, expected {FORMAT!r})")
    return manifest


def _same_sweep(out, old: dict, new: dict) -> None:
    new = json.loads(json.dumps(new))  # the same normalization as the stored copy
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            there, here = old.get(key), new.get(key)
            if key == "configs":
                n = next((i for i, (a, b) in enumerate(zip(there, here)) if a != b),
                         min(len(there), len(here)))
                detail = (f"{len(there)} configs there, {len(here)} here" if n == min(
                    len(there), len(here)) else f"config {n} is {there[n]} there, {here[n]} here")
            else:
                detail = f"{_short(there)} there, {_short(here)} here"
            raise ValueError(f"out={str(out)!r} holds a different sweep ({key}: {detail}); "
                             "resume only with the same definition, or use another directory")


def write_chunk(out: Path, result: dict) -> Path:
    """Atomically write one finished chunk."""
    path = chunk_path(out, int(result["chunk"]))
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **{k: v for k, v in result.items() if k != "interrupted"})
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_chunk(out: Path, chunk: int, config_ids) -> dict | None:
    """A finished chunk's arrays, or None when absent or unreadable (then recomputed)."""
    path = chunk_path(out, chunk)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        warnings.warn(f"cannot read {str(path)!r} ({exc}); that chunk will be recomputed",
                      stacklevel=3)
        return None
    if list(arrays.get("config_ids", [])) != list(config_ids):
        warnings.warn(f"{str(path)!r} does not hold the configs the manifest lists for "
                      f"chunk {chunk}; it will be recomputed", stacklevel=3)
        return None
    return arrays


def load_sweep(path):
    """Read a sweep directory (``out=``), finished or interrupted, into a SweepResult.

    Rows of chunks that are not on disk are missing from ``table`` (and NaN in
    ``curves``); ``res.complete`` says whether every chunk was there.

    Example
    -------
    >>> res = fastq.load_sweep("sweep/")      # doctest: +SKIP
    >>> res.complete, len(res.table)
    """
    from .results import SweepResult

    out = Path(path)
    manifest = read_manifest(out)
    spec = manifest["definition"]
    chunks = [tuple(c) for c in manifest["chunks"]]
    finished = {i: a for i, ids in enumerate(chunks)
                if (a := read_chunk(out, i, ids)) is not None}
    configs = [{k: from_json(v) for k, v in c.items()} for c in spec["configs"]]
    return SweepResult.from_chunks(spec, configs, chunks, finished, seconds=float("nan"),
                                   out=out)


def _write_json(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
