"""Exported programs (.pt2) made at test time with torch.export.save, as people save them."""
from __future__ import annotations

import io

import torch
from torch import nn


class Scaled(nn.Module):
    """A parameter, a buffer, a non-persistent buffer: the state export lifts into the graph's inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.register_buffer("scale", torch.ones(3))
        self.register_buffer("shift", torch.zeros(3), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) * self.scale + self.shift


class Gate(nn.Module):
    """A branch on the input's values, written as torch.cond."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cond(x.sum() > 0, lambda x: x.sin(), lambda x: x.cos() * 2, (x,))


class Doubling(nn.Module):
    """A loop that runs until a tensor says stop, written as while_loop."""

    def forward(self, x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        from torch._higher_order_ops.while_loop import while_loop

        def cond_fn(i: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            return i < n.sum()

        def body_fn(i: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return i + 1, x * 2

        return while_loop(cond_fn, body_fn, (torch.zeros((), dtype=torch.int64), x))[1]


def saved(program: torch.export.ExportedProgram) -> bytes:
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return buffer.getvalue()


def tiny() -> bytes:
    torch.manual_seed(0)
    return saved(torch.export.export(Scaled(), (torch.randn(2, 4),)))


def dynamic_batch() -> bytes:
    """The batch dim free between 1 and 64 (torch.export.Dim)."""
    torch.manual_seed(0)
    batch = torch.export.Dim("batch", min=1, max=64)
    return saved(torch.export.export(Scaled(), (torch.randn(2, 4),), dynamic_shapes={"x": {0: batch}}))


def with_cond() -> bytes:
    return saved(torch.export.export(Gate(), (torch.randn(2, 4),)))


def with_while_loop() -> bytes:
    return saved(torch.export.export(Doubling(), (torch.randn(2, 3), torch.tensor([3]))))
