"""A device baked in by tracing: `device=x.device` becomes a constant.

Creating a tensor inside forward with `device=x.device` (or `.to(x.device)`) is
right in eager mode. The tracer, though, records the device of the example input as
a constant: trace on the CPU and the graph says `cpu` forever, so the module later
builds that tensor on the CPU even when the input lives on a GPU. Look for the
device constant folded into the aten::ones node in the trace graph; the script graph
reads prim::device from the input instead. Trace on the device you deploy on, or
script this code.
"""
import torch
from torch import nn


class AddPositions(nn.Module):
    def __init__(self, features: int = 8):
        super().__init__()
        self.proj = nn.Linear(features, features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(x.shape[1], device=x.device, dtype=x.dtype)
        return self.proj(x) + positions.unsqueeze(-1)


def model() -> nn.Module:
    return AddPositions()


def example_inputs():
    return (torch.randn(2, 5, 8),)
