"""Walking a graph without a browser: submodule views, breadcrumb, search, details, .code lines, collapsing."""
from __future__ import annotations

from support.samples import archive_bytes, inspect_sample, request_for

from tsviz.graph import walk as graph_view
from tsviz.graph.dot import to_dot
from tsviz.graph.fold import fold_constants


def test_every_submodule_has_its_own_graph_and_code() -> None:
    result = inspect_sample("resnet_style.py", "script")
    block = result.view("layer1.0")
    assert block is not None and block.type == "BasicBlock"
    kinds = {n.kind for n in block.graph.nodes}
    assert "prim::CallMethod" in kinds and "aten::relu" in kinds
    assert "def forward" in block.code
    assert result.view("").graph == result.graph and result.view("no.such") is None


def test_a_submodule_call_opens_its_view_and_the_breadcrumb_leads_back() -> None:
    result = inspect_sample("resnet_style.py", "script")
    calls = {n.scope: n for n in result.graph.nodes if n.kind == "prim::CallMethod"}
    assert graph_view.opens(result, "", calls["layer1"]) == "layer1"
    inner = {n.scope: n for n in result.view("layer1").graph.nodes if n.kind == "prim::CallMethod"}
    assert graph_view.opens(result, "layer1", inner["0"]) == "layer1.0"
    assert graph_view.breadcrumb("model()", "layer1.0") == [("model()", ""), ("layer1", "layer1"), ("0", "layer1.0")]


def test_search_by_op_kind_line_and_name() -> None:
    graph = fold_constants(inspect_sample("resnet_style.py", "script").view("layer1.0").graph)
    assert [graph_view.node_details(graph, n)["scope"] for n in graph_view.search(graph, "conv")] == ["conv1", "conv2"]
    assert {graph_view.node_details(graph, n)["kind"] for n in graph_view.search(graph, "aten::relu")} == {"aten::relu"}
    assert graph_view.search(graph, "L26") == graph_view.search(graph, "line 26") != []
    assert graph_view.search(graph, "  ") == [] and graph_view.search(graph, "nothing-like-this") == []


def test_node_details_name_inputs_outputs_and_line() -> None:
    graph = inspect_sample("data_dependent_if.py", "script").graph
    node = next(n for n in graph.nodes if n.kind == "aten::gt")
    details = graph_view.node_details(graph, node.id)
    assert details["line"] == 20 and details["outputs"][0][1] == "Tensor"
    assert [arg for arg, _, _ in details["inputs"]] == ["self", "other"]


def test_code_lines_follow_the_ops_in_order() -> None:
    result = inspect_sample("data_dependent_if.py", "script")
    lines = graph_view.code_lines(result.graph, result.code)
    code = result.code.splitlines()
    by_kind = {n.kind: lines.get(n.id) for n in result.graph.nodes}
    assert "if " in code[by_kind["prim::If"] - 1]
    assert "torch.tanh(" in code[by_kind["aten::tanh"] - 1] and "torch.neg(" in code[by_kind["aten::neg"] - 1]


def test_collapsing_a_region_hides_its_nodes_and_keeps_the_edges() -> None:
    graph = inspect_sample("data_dependent_if.py", "script").graph
    owners = graph_view.region_owners(graph)
    assert len(owners) == 1
    folded = graph_view.collapse(graph, set(owners))
    assert not folded.blocks and len(folded.nodes) < len(graph.nodes)
    ids = {n.id for n in folded.nodes}
    assert all(e.src in ids and e.dst in ids for e in folded.edges)
    owner = next(n for n in folded.nodes if n.id == owners[0])
    assert "nodes inside: double-click to open" in to_dot(folded) and dict(owner.attrs)["collapsed"] == "5"
    assert graph_view.collapse(graph, set()) is graph


def test_a_huge_inlined_graph_is_counted_not_extracted_and_a_huge_archive_not_sent() -> None:
    from support.samples import SAMPLES, request_for

    from tsviz.analysis.inspect_model import MAX_INLINED_NODES, inspect_file

    result = inspect_file(request_for("transformer_12_layers.py", (SAMPLES / "transformer_12_layers.py").read_bytes()))
    assert result.inlined_skipped > MAX_INLINED_NODES and not result.inlined.nodes
    assert sum(result.inlined_op_counts().values()) == result.inlined_skipped
    assert result.archive.size == result.archive_size > 8 * 2**20  # a job file: no answer carries it
    assert result.view("encoder.layers.11.self_attn") is not None  # every level can still be opened
    # the 12 layers are one compiled class: one graph is sent, and the others name it
    assert sum(1 for v in result.views if not v.same_as) < 10 < len(result.views)
    eleventh, first = result.view("encoder.layers.11"), result.view("encoder.layers.0")
    assert eleventh.path == "encoder.layers.11" and eleventh.graph == first.graph and eleventh.code == first.code


def test_archive_nodes_point_at_the_stored_code_and_remember_their_first_line() -> None:
    from tsviz.analysis.inspect_model import inspect_or_raise

    saved = archive_bytes(inspect_sample("data_dependent_if.py", "script"))
    result = inspect_or_raise(request_for("gate.pt", saved, mode="script"))
    listing = result.source.splitlines()
    gt = next(n for n in result.graph.nodes if n.kind == "aten::gt")
    details = graph_view.node_details(result.graph, gt.id)
    assert "torch.gt(" in listing[details["line"] - 1]
    assert details["saved_from"].endswith("data_dependent_if.py line 20")
    assert gt.id in graph_view.search(result.graph, f"L{details['line']}")  # a line click finds the node
    up = result.view("up").graph  # submodules' nodes point into their own code file of the listing
    linear = next(n for n in up.nodes if n.kind == "aten::linear")
    assert "torch.linear(" in listing[linear.source.line - 1]


def test_a_traced_archive_remembers_the_users_line_not_torchs() -> None:
    from tsviz.analysis.inspect_model import inspect_or_raise

    saved = archive_bytes(inspect_sample("resnet_style.py", "trace"))
    result = inspect_or_raise(request_for("resnet.pt", saved, mode="script"))
    flatten = next(n for n in result.graph.nodes if n.kind == "aten::flatten")
    assert "torch.flatten(" in result.source.splitlines()[flatten.source.line - 1]
    assert flatten.source.saved_from.endswith("resnet_style.py line 80")
