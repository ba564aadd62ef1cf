"""Blocker text by op: each op TS2EPConverter refuses in a tiny scripted archive gets its own fix (prim::If ->
torch.cond or a tensor-free condition, prim::Loop -> unroll or while_loop, prim::SetAttr -> the state as an input,
prim::RaiseException and aten::warn -> torch._check), on its line, and never another op's text."""
from __future__ import annotations

import io
import warnings

import pytest
import torch
from torch import nn

from tsviz.analysis.export import OP_FIXES
from tsviz.analysis.migrate import migrate
from tsviz.model.types import InputSpec, InspectRequest, MigrateRequest

# a phrase only that op's text says (a raise and a warning share torch._check: both are checks)
OWN_WORDS = {"prim::If": "torch.cond", "prim::Loop": "while_loop", "prim::SetAttr": "state as an input",
             "prim::RaiseException": "torch._check", "aten::warn": "torch._check"}


class OptionalBranch(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor | None = None
        if x.sum() > 0:
            y = x * 2
        if y is None:  # the converter refuses this prim::If
            return x
        return y


class CountedByValue(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _ in range(int(x.sum().item())):
            x = x + 1
        return x


class Stateful(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.state = torch.zeros(2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            self.state = self.state + x  # state written during a call
        return x + self.state


class RaisesOnValues(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if bool(x.sum() < -100):
            raise ValueError("too negative")
        return x + 1


class Warns(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        warnings.warn("careful")
        return x + 1


def blocker_of(model: nn.Module):
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(model), buffer)
    name = f"{type(model).__name__.lower()}.pt"
    result = migrate(MigrateRequest(InspectRequest(name, buffer.getvalue(), input_specs=(InputSpec((2, 3)),))))
    ts2ep = [b for b in result.blockers if b.attempt == "ts2ep"]
    assert len(ts2ep) == 1, result.blockers
    return ts2ep[0]


@pytest.mark.parametrize(("model", "op", "fix_says"), [
    (OptionalBranch(), "prim::If", ("torch.cond", "tensor-free")),
    (CountedByValue(), "prim::Loop", ("Unroll", "while_loop")),
    (Stateful(), "prim::SetAttr", ("Pass the state as an input and return",)),
    (RaisesOnValues(), "prim::RaiseException", ("torch._check",)),
    (Warns(), "aten::warn", ("torch._check",)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_refused_op_gets_its_own_fix_and_never_another_ops_text(model: nn.Module, op: str,
                                                                      fix_says: tuple[str, ...]) -> None:
    blocker = blocker_of(model)
    assert (blocker.kind, blocker.op) == ("unsupported op", op)
    assert all(words in blocker.fix for words in fix_says), blocker.fix
    text = blocker.message + " " + blocker.fix
    others = {words for other, words in OWN_WORDS.items() if words != OWN_WORDS[op]}
    assert not [words for words in others if words in text], text
    assert op in blocker.message and blocker.line > 0  # on its line of the code stored in the archive


def test_state_written_inside_a_branch_is_named_as_state_not_as_the_branch() -> None:
    blocker = blocker_of(Stateful())
    assert "inside the prim::If" in blocker.message and "loop" not in blocker.fix.lower()


def test_no_ops_fix_speaks_of_another_op() -> None:
    for op, (what, fix) in OP_FIXES.items():
        for other, words in OWN_WORDS.items():
            if words != OWN_WORDS[op]:
                assert words not in what + fix, (op, other)
    assert "loop" not in (OP_FIXES["prim::If"][0] + OP_FIXES["prim::If"][1]).lower()
