"""A small .py model and its weights made at test time, as people save them: a state dict, a checkpoint, a whole
pickled model (torch.save(model) while the user's module `net` is importable). Only the worker imports NET from its
file; here it runs as this test's own code."""
from __future__ import annotations

import io
import sys
import types
from collections.abc import Callable

import torch
from torch import nn

NET = '''"""A small classifier: a body, then a head of num_classes."""
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, num_classes: int = 1000, width: int = 8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, width), nn.ReLU())
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x):
        return self.fc(self.body(x))
'''


def net_module() -> types.ModuleType:
    """NET as the module `net`, as the user's training script imported it (so a whole pickled model names net.Net)."""
    module = types.ModuleType("net")
    exec(compile(NET, "net.py", "exec"), module.__dict__)
    return module


def trained(**init: int) -> nn.Module:
    torch.manual_seed(7)
    model = net_module().Net(**init)
    for p in model.parameters():  # not the values a fresh Net starts with
        nn.init.uniform_(p, 2.0, 3.0)
    return model


def saved(obj: object, legacy: bool = False) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


def whole_model(model_init: dict | None = None, wrap: Callable[[nn.Module], object] = lambda m: m,
                legacy: bool = False) -> bytes:
    """torch.save(model) of a net.Net (or of what `wrap` puts it in), pickled while `net` is importable, as a
    training script would (`legacy`: in torch.save's format from before PyTorch 1.6)."""
    module = net_module()
    sys.modules["net"] = module
    try:
        torch.manual_seed(7)
        return saved(wrap(module.Net(**(model_init or {}))), legacy)
    finally:
        del sys.modules["net"]


class Elsewhere(nn.Module):
    """A class no model file of the tests defines: a pickle naming it must be refused, not unpickled."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 1000)


class OpensFile:
    """Pickled as io.FileIO('/tmp/tsviz-opened', 'w'): a class from the standard library, not from a model file."""

    def __reduce__(self):
        import io as _io

        return (_io.FileIO, ("/tmp/tsviz-opened", "w"))
