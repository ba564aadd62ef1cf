"""DOT output: golden files from hand-made IRGraph fixtures, escaping, determinism. No torch needed."""
from __future__ import annotations

from pathlib import Path

import pytest

from tsviz.graph.dot import node_label, to_dot
from tsviz.graph.fold import fold_constants
from tsviz.model.types import Block, Edge, IRGraph, Node, Port, SourceLoc, Value

GOLDEN = Path(__file__).parent / "golden"


def linear_relu() -> IRGraph:
    """input -> GetAttr weight/bias folded into aten::linear -> relu -> output."""
    return IRGraph(
        nodes=(
            Node("n0", "input", outputs=(Value("x.1", "Float(2, 4)"),), attrs=(("name", "x"),)),
            Node("n1", "prim::GetAttr", outputs=(Value("fc", "Linear"),), attrs=(("name", "fc"),)),
            Node("n2", "prim::GetAttr", inputs=(Port("fc", "n1"),), outputs=(Value("weight", "Tensor"),),
                 attrs=(("name", "weight"),)),
            Node("n3", "prim::Constant", outputs=(Value("3", "NoneType"),)),
            Node(
                "n4",
                "aten::linear",
                inputs=(Port("x.1", "n0", "input"), Port("weight", "n2", "weight"), Port("3", "n3", "bias")),
                outputs=(Value("y", "Float(2, 3)"),),
                source=SourceLoc("model.py", 9),
            ),
            Node(
                "n5",
                "aten::relu",
                inputs=(Port("y", "n4", "self"),),
                outputs=(Value("z", "Float(2, 3)"),),
                source=SourceLoc("torch/nn/functional.py", 1500, user=False),
            ),
            Node("n6", "output", inputs=(Port("z", "n5"),)),
        ),
        edges=(Edge("n1", "n2", "fc"), Edge("n0", "n4", "x.1", "Float(2, 4)"), Edge("n2", "n4", "weight"),
               Edge("n3", "n4", "3"), Edge("n4", "n5", "y"), Edge("n5", "n6", "z")),
    )


def if_with_blocks() -> IRGraph:
    """A prim::If with then/else blocks, a traced submodule call, and a label that needs escaping."""
    return IRGraph(
        nodes=(
            Node("n0", "input", outputs=(Value("x", "Tensor"),), attrs=(("name", "x"),)),
            Node("n1", "aten::gt", inputs=(Port("x", "n0", "self"),), outputs=(Value("c", "bool"),),
                 source=SourceLoc("m.py", 8)),
            Node("n2", "prim::If", inputs=(Port("c", "n1", ""),), outputs=(Value("y", "Tensor"),),
                 source=SourceLoc("m.py", 8)),
            Node("n3", "prim::CallMethod", inputs=(Port("x", "n0", ""),), outputs=(Value("a", "Tensor"),),
                 attrs=(("module", "Encoder"), ("name", "forward")), block="b0", scope="encoder", traced=True),
            Node("n4", "aten::neg", inputs=(Port("x", "n0", "self"),), outputs=(Value("b", "Tensor"),), block="b1",
                 consts=(("note", 'say "hi" {x} <y> \\'),)),
            Node("n5", "output", inputs=(Port("y", "n2"),)),
        ),
        edges=(
            Edge("n0", "n1", "x"),
            Edge("n1", "n2", "c"),
            Edge("n0", "n3", "x"),
            Edge("n3", "n2", "a", kind="block_return"),
            Edge("n0", "n4", "x"),
            Edge("n4", "n2", "b", kind="block_return"),
            Edge("n2", "n5", "y"),
        ),
        blocks=(Block("b0", "n2", "then"), Block("b1", "n2", "else")),
    )


@pytest.mark.parametrize("name, graph, fold", [
    ("linear_relu_folded", linear_relu(), True),
    ("linear_relu_unfolded", linear_relu(), False),
    ("if_with_blocks", if_with_blocks(), True),
])
def test_dot_matches_golden(name: str, graph: IRGraph, fold: bool, update_golden: bool) -> None:
    text = to_dot(fold_constants(graph) if fold else graph)
    path = GOLDEN / f"{name}.dot"
    if update_golden:
        path.write_text(text)
    assert text == path.read_text(), f"DOT changed; if intended, rerun pytest with --update-golden and review {path}"


def test_dot_is_deterministic() -> None:
    assert to_dot(if_with_blocks()) == to_dot(if_with_blocks())


def test_folding_moves_constants_and_attributes_into_labels() -> None:
    folded = fold_constants(linear_relu())
    kinds = [n.kind for n in folded.nodes]
    assert "prim::Constant" not in kinds and "prim::GetAttr" not in kinds
    linear = next(n for n in folded.nodes if n.kind == "aten::linear")
    assert linear.consts == (("weight", "fc.weight"), ("bias", "None"))
    assert all(e.src in {n.id for n in folded.nodes} for e in folded.edges)


def test_label_shows_op_constants_type_and_user_line() -> None:
    label = node_label(fold_constants(linear_relu()).nodes[1])
    assert label.splitlines() == ["aten::linear   L9", "weight=fc.weight", "bias=None", "-> Float(2, 3)"]


def test_lines_outside_the_user_file_are_not_labelled() -> None:
    relu = next(n for n in linear_relu().nodes if n.kind == "aten::relu")
    assert "L1500" not in node_label(relu)


def test_blocks_become_nested_clusters_and_traced_calls_are_marked() -> None:
    text = to_dot(if_with_blocks())
    assert 'subgraph "cluster_n2" {' in text and 'subgraph "cluster_b0" {' in text and 'label="else"' in text
    assert text.index("cluster_n2") < text.index("cluster_b0")
    assert "encoder.forward()\\nEncoder  [traced]" in text


def test_quotes_braces_and_backslashes_are_escaped() -> None:
    text = to_dot(if_with_blocks())
    assert 'note=say \\"hi\\" {x} <y> \\\\' in text


def test_op_counts_leave_out_graph_inputs_and_outputs() -> None:
    assert linear_relu().op_counts() == {"aten::linear": 1, "aten::relu": 1, "prim::Constant": 1, "prim::GetAttr": 2}
