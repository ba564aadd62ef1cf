"""torch.package archives made at test time with torch.package.PackageExporter, as a published model ships: the test's
own module interned, torch extern."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

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
    (source / "accent_model.py").write_text(ACCENT)
    spec = importlib.util.spec_from_file_location("accent_model", source / "accent_model.py")
    accent_model = importlib.util.module_from_spec(spec)
    sys.modules["accent_model"] = accent_model  # where PackageExporter finds the module it interns
    try:
        spec.loader.exec_module(accent_model)
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
    finally:
        sys.modules.pop("accent_model", None)
    return path
