"""A loop over a tensor dimension: tracing unrolls it for the example's size.

The loop runs once per time step. The tracer does not see a loop, only the ops it
executed: with a sequence of length 4 it records four copies of the body, fixed
forever. A sequence of another length then gives a wrong answer or an error.
Scripting keeps a prim::Loop whose trip count is read from the input's shape at run
time: look for the `loop body` region in the script graph.
"""
import torch
from torch import nn


class RunningSum(nn.Module):
    def __init__(self, features: int = 8):
        super().__init__()
        self.proj = nn.Linear(features, features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (time, batch, features)
        state = torch.zeros_like(x[0])
        for t in range(x.shape[0]):
            state = torch.tanh(self.proj(x[t]) + state)
        return state


def model() -> nn.Module:
    return RunningSum()


def example_inputs():
    return (torch.randn(4, 2, 8),)


def check_inputs():
    return [(torch.randn(7, 2, 8),)]
