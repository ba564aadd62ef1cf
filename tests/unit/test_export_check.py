"""The torch.export migration check on every sample: blockers on the right line, op counts side by side, the CLI."""
from __future__ import annotations

from functools import cache

import pytest
from support.samples import SAMPLES, request_for, sample_names

from tsviz.analysis.export import export_check

# sample -> (exported, [(kind, line)] of its blockers)
EXPECTED = {
    "data_dependent_if.py": (False, [("data-dependent control flow", 20)]),
    "hybrid.py": (False, [("data-dependent control flow", 34)]),
    "free_functions.py": (False, [("not a module", 0)]),
    "len_vs_shape.py": (True, [("dynamic shapes", 17)]),  # n = len(x): a dynamic batch is specialised
    "loop_over_dim.py": (True, [("dynamic shapes", 21)]),  # for t in range(x.shape[0])
}


@cache
def checked(name: str):
    return export_check(request_for(name, (SAMPLES / name).read_bytes()))


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_exports_or_says_why(name: str) -> None:
    result = checked(name)
    exported, blockers = EXPECTED.get(name, (True, []))
    assert result.exported is exported
    assert [(b.kind, b.line) for b in result.blockers] == blockers
    assert all(b.fix and b.message for b in result.blockers)
    if exported:
        counts = result.op_counts()
        assert counts["torch.export"] and counts["torchscript"]
        assert all(op.startswith("aten::") for op in counts["torch.export"])


def test_the_exported_graph_sits_next_to_torchscripts() -> None:
    result = checked("resnet_style.py")
    counts = result.op_counts()
    assert counts["torch.export"]["aten::conv2d"] == counts["torchscript"]["aten::conv2d"] == 20
    assert "aten::size" in counts["torchscript"] and "aten::size" not in counts["torch.export"]
    conv = next(n for n in result.graph.nodes if n.kind == "aten::conv2d")
    assert conv.source is not None and conv.source.file == "resnet_style.py"
    assert conv.inputs and conv.outputs[0].type.startswith("Float(")
    assert any(n.kind == "prim::GetAttr" and dict(n.attrs)["name"] == "stem.0.weight" for n in result.graph.nodes)
    assert "torch.ops.aten.conv2d.default" in result.code
    assert [a.name for a in result.attempts] == ["non-strict", "strict", "dynamic batch"]
    assert "batch of 2" in result.notes[0]  # its example batch is 1, which torch would treat as fixed



def test_an_archive_is_refused_with_a_reason() -> None:
    from support.samples import inspect_sample

    from tsviz.model.errors import TsvizError

    with pytest.raises(TsvizError, match="needs the model's Python source"):
        export_check(request_for("m.pt", inspect_sample("feed_forward.py", "script").archive))


def test_a_huge_torchscript_graph_is_counted_not_sent() -> None:
    result = checked("transformer_12_layers.py")
    assert result.exported and not result.torchscript.nodes and result.graph.nodes
    counts = result.op_counts()  # TorchScript keeps every branch (attention projects q, k, v several ways); export one
    assert counts["torchscript"]["aten::linear"] > counts["torch.export"]["aten::linear"] == 48
