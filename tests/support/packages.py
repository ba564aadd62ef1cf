"""torch.package archives made at test time with torch.package.PackageExporter, as a published model ships: the test's
own module interned, torch extern."""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import torch

ACCENT = '''"""A tiny accent classifier, packaged with its source."""
import torch
from torch import nn


class Accent(nn.Module):
    """Three accents from 8 features; a branch on the values, so script keeps an if."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.fc(x).relu()
        return self.fc(x)
'''


def accent_package(folder: Path, scripted: bool = True, config: bool = True) -> Path:
    """`accent.pt`: model/model.pkl (the eager Accent), model/scripted.pkl (it scripted), extra/config.pkl (a dict)."""
    source = folder / "pkg_src"
    source.mkdir(exist_ok=True)
    with module_from_source(source, "accent_model", ACCENT) as accent_model:
        torch.manual_seed(0)
        path = folder / "accent.pt"
        gate = torch.package.package_exporter._gate_torchscript_serialization
        torch.package.package_exporter._gate_torchscript_serialization = False  # a ScriptModule in a package
        try:
            with torch.package.PackageExporter(str(path)) as exporter:
                exporter.intern("accent_model")
                exporter.extern("torch.**")
                exporter.save_pickle("model", "model.pkl", accent_model.Accent())
                if scripted:
                    exporter.save_pickle("model", "scripted.pkl", torch.jit.script(accent_model.Accent()))
                if config:
                    exporter.save_pickle("extra", "config.pkl", {"sr": 16000, "accents": ["en", "fr", "de"]})
        finally:
            torch.package.package_exporter._gate_torchscript_serialization = gate
    return path


@contextmanager
def module_from_source(folder: Path, name: str, text: str) -> Iterator[ModuleType]:
    """`text` written as folder/NAME.py and imported as the module NAME, registered in sys.modules (where
    PackageExporter finds what it interns) rather than put on sys.path; gone again afterwards."""
    (folder / f"{name}.py").write_text(text)
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)
