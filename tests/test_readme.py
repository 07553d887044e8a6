"""Every Python block of the README runs, and the contract commands are there."""
import pathlib
import re

import pytest

README = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})


def test_contract_commands_near_the_top():
    top = README[:800]
    assert "pip install . && fastq train FrozenLake8x8-v1" in top
    assert 'pip install ".[test]" && python -m pytest' in top


def test_ci_runs_the_readme_test_command():
    ci = (pathlib.Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert 'pip install ".[test]" && python -m pytest' in ci
