"""`len(x)` versus `x.shape[0]`: the tracer turns Python numbers into constants.

`len(x)` returns a plain Python int, so the tracer cannot record where it came from:
the batch size of the example input is baked into the graph as a constant (with a
TracerWarning on the line). `x.shape[0]` stays a tensor-size query (aten::size) in
the trace and follows the input. Compare `mean_by_len` with `mean_by_shape` below;
scripting handles both correctly.
"""
import torch
from torch import nn


class BatchMean(nn.Module):
    """Divides by len(x): traced, the example's batch size becomes a constant."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = len(x)
        return x.sum(dim=0) / n


class BatchMeanByShape(nn.Module):
    """Divides by x.shape[0]: traced, the size is read from the input at run time."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        return x.sum(dim=0) / n


def model() -> nn.Module:
    return BatchMean()


def example_inputs():
    return (torch.randn(4, 3),)


def check_inputs():
    return [(torch.randn(6, 3),)]
