"""A data-dependent `if`: tracing keeps only the branch the example input took.

`if x.sum() > 0` looks at the values of the tensor. The tracer runs forward once,
sees one answer, and records only that branch: the traced graph has no prim::If,
and a TracerWarning points at the line. Scripting compiles both branches into a
prim::If node with a `then` and an `else` block, so the result is right for every
input. Script this module (or the part with the branch).
"""
import torch
from torch import nn


class Gate(nn.Module):
    def __init__(self, features: int = 8):
        super().__init__()
        self.up = nn.Linear(features, features)
        self.down = nn.Linear(features, features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            y = self.up(x)
        else:
            y = -self.down(x)
        return torch.tanh(y)


def model() -> nn.Module:
    return Gate()


def example_inputs():
    return (torch.ones(2, 8),)


def check_inputs():
    return [(-torch.ones(2, 8),), (torch.ones(3, 8),)]
