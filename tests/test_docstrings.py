"""Public docstrings: every documented parameter exists, and train/sweep document all."""
import inspect
import re

import pytest

import fastq

PUBLIC = [fastq.train, fastq.sweep, fastq.QTable, fastq.VecQTable, fastq.FunctionEnv,
          fastq.TabularEnv.from_arrays, fastq.TabularEnv, fastq.make]


def documented(obj):
    doc = inspect.getdoc(obj) or ""
    match = re.search(r"Parameters\n-+\n(.*?)(\n\n[A-Z][a-z]+\n-+\n|\Z)", doc, flags=re.S)
    if not match:
        return set()
    names = set()
    for line in match.group(1).splitlines():
        if line and not line.startswith(" ") and " : " in line:
            names.update(n.strip() for n in line.split(" : ")[0].split(","))
    return names


def parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    return {name for name in inspect.signature(target).parameters if name != "self"}


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda o: getattr(o, "__qualname__", str(o)))
def test_documented_parameters_exist(obj):
    assert documented(obj) <= parameters(obj)


@pytest.mark.parametrize("obj", [fastq.train, fastq.sweep], ids=["train", "sweep"])
def test_main_entry_points_document_every_parameter(obj):
    assert parameters(obj) - {"fixed"} <= documented(obj)
