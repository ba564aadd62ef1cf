"""Hybrid: trace the tensor-only part, script the part with control flow.

The encoder is a plain stack of layers, ideal for tracing (no type annotations
needed, anything Python can run). The outer module decides at run time how many
refinement steps to take, which only scripting can keep. In hybrid mode tsviz
records the encoder's real inputs during one eager run, traces it, puts the traced
module back and scripts the whole: the graph shows the encoder as a traced box
inside a scripted prim::Loop.
"""
import torch
from torch import nn

# Submodules to trace in hybrid mode (tsviz's convention; the sidebar can change it).
TRACE_SUBMODULES = ["encoder"]


class Encoder(nn.Module):
    def __init__(self, features: int = 8):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(features, 16), nn.GELU(), nn.Linear(16, features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class Refiner(nn.Module):
    def __init__(self, features: int = 8, max_steps: int = 4):
        super().__init__()
        self.encoder = Encoder(features)
        self.max_steps = max_steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = 0
        while steps < self.max_steps and x.abs().mean() > 0.1:
            x = x + 0.5 * self.encoder(x)
            steps += 1
        return x


def model() -> nn.Module:
    return Refiner()


def example_inputs():
    return (torch.randn(2, 8),)
