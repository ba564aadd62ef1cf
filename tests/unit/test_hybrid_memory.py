"""Hybrid mode keeps one copy of the weights and no autograd graph, so a 124M-parameter model converts inside the
worker's memory limit; and a picked container is traced module by module. In process, on a small model."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from tsviz.analysis.convert import convert, record_submodule_inputs
from tsviz.load.modelfile import Origin

SOURCE = '''import torch
from torch import nn


class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.p = 0.1

    def forward(self, x):
        return self.fc(x) * (self.p if self.training else 0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Gate(), Gate()])
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x)
'''


def load(tmp_path: Path) -> tuple[torch.nn.Module, Origin]:
    path = tmp_path / "net.py"
    path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("net_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Net().eval(), Origin(str(path), "net.py")


def storages(module: torch.nn.Module) -> set[int]:
    return {t.untyped_storage().data_ptr() for t in (*module.parameters(), *module.buffers())}


def test_auto_hybrid_shares_the_models_weights_instead_of_copying_them(tmp_path: Path) -> None:
    model, origin = load(tmp_path)
    converted = convert(model, "hybrid", (torch.randn(2, 8),), origin, auto_hybrid=True)
    assert converted.traced == ("blocks.0", "blocks.1")
    assert storages(converted.module) == storages(model)


def test_picked_hybrid_shares_the_models_weights_instead_of_copying_them(tmp_path: Path) -> None:
    model, origin = load(tmp_path)
    converted = convert(model, "hybrid", (torch.randn(2, 8),), origin, trace_submodules=("blocks.0", "blocks.1"))
    assert storages(converted.module) == storages(model)


def test_a_picked_module_list_traces_each_module_inside_it(tmp_path: Path) -> None:
    model, origin = load(tmp_path)
    converted = convert(model, "hybrid", (torch.randn(2, 8),), origin, trace_submodules=("blocks",))
    assert converted.traced == ("blocks.0", "blocks.1")


def test_recorded_inputs_hold_no_autograd_graph(tmp_path: Path) -> None:
    model, origin = load(tmp_path)
    recorded = record_submodule_inputs(model, (torch.randn(2, 8, requires_grad=True),), ("blocks.1",), origin)
    (x,) = recorded["blocks.1"]
    assert x.grad_fn is None and not x.requires_grad


def test_the_model_is_left_as_it_was(tmp_path: Path) -> None:
    model, origin = load(tmp_path)
    convert(model, "hybrid", (torch.randn(2, 8),), origin, auto_hybrid=True)
    assert [type(m).__name__ for m in model.blocks] == ["Gate", "Gate"]
