"""A recurrent cell that returns a tuple, the TorchScript tutorial's MyCell.

forward takes the input and the previous hidden state and returns `(new_h, new_h)`.
Tuples are first-class in TorchScript: the graph ends in a prim::TupleConstruct and
`.code` shows `-> Tuple[Tensor, Tensor]`. A cell like this has no control flow, so
trace and script agree; the loop over time steps belongs to the caller.
"""
import torch
from torch import nn


class Cell(nn.Module):
    def __init__(self, features: int = 4):
        super().__init__()
        self.linear = nn.Linear(features, features)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        new_h = torch.tanh(self.linear(x) + h)
        return new_h, new_h


def model() -> nn.Module:
    return Cell()


def example_inputs():
    return (torch.rand(3, 4), torch.rand(3, 4))
