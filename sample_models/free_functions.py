"""Free functions: TorchScript compiles plain functions too, not only modules.

`torch.jit.script(fn)` compiles a function from its source; `torch.jit.trace(fn,
inputs)` records one run of it. The result is a ScriptFunction with its own graph
and `.code`. `clamp_larger` has a branch on values, so only its scripted form keeps
it; `scaled_sum` is pure tensor math and converts the same way in both modes. This
file has no model(): pick the function to convert in the sidebar.
"""
import torch


def scaled_sum(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 2 * x + y


def clamp_larger(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if x.max() > y.max():
        r = x
    else:
        r = y
    return torch.clamp(r, min=0.0)


def example_inputs():
    return (torch.rand(3), torch.rand(3))
