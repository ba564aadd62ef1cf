"""A prim::If TS2EPConverter refuses whose condition reads state that forward writes (silero-vad's
`if bool(self._last_sr):`, with `self._last_sr = sr` later) is named as that state, with the state's fix, never as
a branch on a tensor's value; a branch on anything else keeps prim::If's own text. The graph is written here."""
from __future__ import annotations

from tsviz.analysis.export import OP_FIXES
from tsviz.analysis.migrate import unsupported_nodes
from tsviz.model.types import Edge, IRGraph, Node, Port, SourceLoc

EXPLAINED = "Unsupported nodes are found in the following list:\n    1. prim::If [%y : Tensor = prim::If(%4)]\n"


def _graph(reads: str, writes: str) -> IRGraph:
    nodes = (
        Node("n0", "input", attrs=(("name", "x"),)),
        Node("n1", "prim::GetAttr", (Port("self", ""),), attrs=(("name", reads),)),
        Node("n2", "aten::Bool", (Port("_last_sr.1", "n1", "a"),)),
        Node("n3", "prim::If", (Port("4", "n2"),), source=SourceLoc("silero_vad.jit", 39)),
        Node("n4", "prim::SetAttr", (Port("self", ""), Port("x", "n0")), attrs=(("name", writes),)),
    )
    return IRGraph(nodes, (Edge("n1", "n2", "_last_sr.1"), Edge("n2", "n3", "4")))


def test_a_branch_on_state_forward_writes_is_that_states_blocker() -> None:
    [blocker] = unsupported_nodes(EXPLAINED, _graph("_last_sr", "_last_sr"))
    assert blocker.op == "prim::SetAttr" and blocker.line == 39
    assert blocker.message.startswith("TS2EPConverter cannot convert the prim::If that tests self._last_sr, state "
                                      "that forward writes: forward writes a module attribute")
    assert blocker.fix == OP_FIXES["prim::SetAttr"][1] and "tensor's value" not in blocker.message


def test_a_branch_on_an_attribute_forward_never_writes_keeps_the_branchs_text() -> None:
    [blocker] = unsupported_nodes(EXPLAINED, _graph("threshold", "_last_sr"))
    assert blocker.op == "prim::If" and blocker.fix == OP_FIXES["prim::If"][1]
