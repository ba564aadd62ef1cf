"""A model that calls a helper compiled with @torch.jit.script, as repositories do for a hot loop: the helper was
written for 3-D points, and a trace runs it in TorchScript's interpreter, where it fails."""
import torch
from torch import nn


@torch.jit.script
def to_points(x: torch.Tensor) -> torch.Tensor:
    return x.view(-1, 3)


class PointHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(to_points(x))


def example_inputs():
    return (torch.randn(2, 4),)


class Refine(nn.Module):
    def forward(self, x, extra: torch.Tensor):
        return x + extra


class MaybeRefined(nn.Module):
    """Passes an Optional where its part takes a Tensor: TorchScript lists the part's schema, then says why."""

    def __init__(self):
        super().__init__()
        self.refine = Refine()

    def forward(self, x):
        extra = None if x.sum() > 0 else x
        return self.refine(x, extra)
