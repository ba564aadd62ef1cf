"""torch graph -> IRGraph: the only module that walks torch._C graphs."""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import torch

from tsviz.model.types import Block, Edge, IRGraph, Node, Port, SourceLoc, Value

_MANGLE = re.compile(r"___torch_mangle_\d+\.")
_SCRIPT_RANGE = re.compile(r'File "([^"]+)", line (\d+)')
_TRACE_FRAME = re.compile(r"^(.+?)\((\d+)\): \S+$", re.M)
_SERIALIZED = re.compile(r'Serialized\s+File "code/([^"]+)", line (\d+)')
_BLOCK_LABELS = {"prim::If": ("then", "else"), "prim::Loop": ("loop body",)}


def extract_graph(graph: Any, *, user_path: str = "", display_name: str = "", traced: Iterable[str] = (),
                  stored_code: dict[str, int] | None = None) -> IRGraph:
    """Convert a torch._C.Graph into an IRGraph; lines in `user_path` are shown as `display_name`.

    For a loaded .pt archive, `stored_code` maps each code file of the archive to the line where it starts in
    the listing the page shows: nodes then point at that listing, and keep their original line as `saved_from`.
    """
    return _Walker(user_path, display_name or user_path, frozenset(traced), stored_code).run(graph)


def type_text(t: Any) -> str:
    """A short type: "Float(2, 4)" for a tensor with known shape, "Tensor", "int[]", a class name."""
    if isinstance(t, torch._C.TensorType):
        dtype = t.scalarType() or "Tensor"
        sizes = t.varyingSizes()
        if sizes is None:
            return dtype
        return f"{dtype}({', '.join('?' if s is None else str(s) for s in sizes)})"
    text = _MANGLE.sub("", str(t)).replace("__torch__.", "")
    if isinstance(t, torch._C.ClassType):
        return text.rsplit(".", 1)[-1]
    return text


@lru_cache(maxsize=4096)
def _arg_names(schema: str) -> tuple[str, ...]:
    if not schema or schema == "(no schema)":
        return ()
    try:
        return tuple(a.name for a in torch._C.parse_schema(schema).arguments)
    except RuntimeError:
        return ()


def _attr_text(node: Any, name: str) -> str:
    """A node attribute printed for a person (tensor constants by shape, short ones by value)."""
    kind = node.kindOf(name)
    if kind == "t":
        tensor = node.t(name)
        if tensor.numel() <= 4:
            return str(tensor.tolist())
        return f"Tensor{list(tensor.shape)}"
    if kind in ("i", "f", "s", "is", "fs", "ss"):
        value = getattr(node, kind)(name)
        return str(value)
    if kind == "ival":
        return str(node.ival(name))
    return f"<{kind}>"


class _Walker:
    """One pass over a graph, numbering nodes and blocks in output order."""

    def __init__(self, user_path: str, display_name: str, traced: frozenset[str], stored_code: dict[str, int] | None):
        self.stored_code = stored_code
        self.user_path = user_path
        self.display_name = display_name
        self.traced = traced
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.blocks: list[Block] = []
        self.producer: dict[int, str] = {}  # value unique id -> node id
        self.block_param: set[int] = set()
        self.module_path: dict[int, str] = {}  # value unique id -> dotted submodule path

    def run(self, graph: Any) -> IRGraph:
        self.graph_inputs(graph.inputs())
        self.walk(graph.nodes(), "")
        out_id = self.next_id()
        ports = tuple(self.port(v, "") for v in graph.outputs())
        self.nodes.append(Node(id=out_id, kind="output", inputs=ports))
        self.add_edges(graph.outputs(), out_id)
        return IRGraph(nodes=tuple(self.nodes), edges=tuple(self.edges), blocks=tuple(self.blocks))

    def next_id(self) -> str:
        return f"n{len(self.nodes)}"

    def graph_inputs(self, values: Iterable[Any]) -> None:
        for value in values:
            if isinstance(value.type(), torch._C.ClassType):
                self.module_path[value.unique()] = ""  # `self`: GetAttr chains start here
                continue
            node_id = self.next_id()
            self.producer[value.unique()] = node_id
            name = value.debugName()
            self.nodes.append(
                Node(id=node_id, kind="input", outputs=(Value(name, type_text(value.type())),),
                     attrs=(("name", name.split(".")[0]),))
            )

    def walk(self, nodes: Iterable[Any], block_id: str) -> None:
        for node in nodes:
            self.visit(node, block_id)

    def visit(self, node: Any, block_id: str) -> None:
        node_id = self.next_id()
        kind = node.kind()
        names = _arg_names(node.schema()) if kind.startswith("aten::") else ()
        if kind in ("prim::CallMethod", "prim::CallFunction"):
            names = ("callee",)
        elif kind == "prim::Loop":
            names = ("max_trips", "cond")
        inputs = list(node.inputs())
        ports = tuple(self.port(v, names[i] if i < len(names) else "") for i, v in enumerate(inputs))
        attrs = tuple((name, _attr_text(node, name)) for name in sorted(node.attributeNames()))
        scope = node.scopeName().replace("__module.", "").removeprefix("__module")
        if kind == "prim::GetAttr" and inputs and inputs[0].unique() in self.module_path:
            parent = self.module_path[inputs[0].unique()]
            attr = node.s("name")
            self.module_path[node.output().unique()] = f"{parent}.{attr}" if parent else attr
        traced = False
        if kind == "prim::CallMethod" and inputs:
            scope = self.module_path.get(inputs[0].unique(), "")
            traced = scope in self.traced
            attrs += (("module", type_text(inputs[0].type())),)
        outputs = tuple(Value(v.debugName(), type_text(v.type())) for v in node.outputs())
        self.nodes.append(
            Node(id=node_id, kind=kind, inputs=ports, outputs=outputs, attrs=attrs, block=block_id,
                 scope=scope, source=self.source_loc(node), traced=traced)
        )
        self.add_edges(inputs, node_id)
        for value in node.outputs():
            self.producer[value.unique()] = node_id
        self.walk_blocks(node, node_id, kind, block_id)

    def walk_blocks(self, node: Any, node_id: str, kind: str, parent: str) -> None:
        labels = _BLOCK_LABELS.get(kind, ())
        for index, block in enumerate(node.blocks()):
            block_id = f"b{len(self.blocks)}"
            label = labels[index] if index < len(labels) else f"block {index}"
            self.blocks.append(Block(id=block_id, owner=node_id, label=label, parent=parent))
            for param in block.inputs():
                self.producer[param.unique()] = node_id
                self.block_param.add(param.unique())
            self.walk(block.nodes(), block_id)
            for value in block.outputs():
                src = self.producer.get(value.unique())
                if src is not None:
                    self.edges.append(Edge(src, node_id, value.debugName(), type_text(value.type()), "block_return"))

    def port(self, value: Any, arg: str) -> Port:
        return Port(value=value.debugName(), source=self.producer.get(value.unique(), ""), arg=arg)

    def add_edges(self, values: Iterable[Any], dst: str) -> None:
        for value in values:
            src = self.producer.get(value.unique())
            if src is None:
                continue  # `self`: module access is shown through GetAttr attributes
            kind = "block_param" if value.unique() in self.block_param else "data"
            self.edges.append(Edge(src, dst, value.debugName(), type_text(value.type()), kind))

    def source_loc(self, node: Any) -> SourceLoc | None:
        text = node.sourceRange()
        if not text:
            return None
        if self.stored_code is not None:
            return self.stored_loc(text)
        return self.original_loc(text)

    def stored_loc(self, text: str) -> SourceLoc | None:
        """A node of a loaded archive: its line in the archive's code listing, and where it was first written."""
        serialized = _SERIALIZED.search(text)
        if serialized is None or serialized.group(1) not in self.stored_code:
            return None
        original = self.original_loc(text[: serialized.start()])
        # the file's name only: the path is the saving machine's ("torch/nn/..." for torch's own lines)
        saved_from = f"{original.file.rsplit('/', 1)[-1] if original.file.startswith('/') else original.file} " \
                     f"line {original.line}" if original is not None else ""
        return SourceLoc(self.display_name, self.stored_code[serialized.group(1)] + int(serialized.group(2)),
                         True, saved_from)

    def original_loc(self, text: str) -> SourceLoc | None:
        match = _SCRIPT_RANGE.search(text)
        if match:
            return self.loc(match.group(1), int(match.group(2)))
        frames = _TRACE_FRAME.findall(text)
        for path, line in frames:  # innermost frame in the user's file: the line that caused it
            if path == self.user_path:
                return self.loc(path, int(line))
        outside_torch = [f for f in frames if "/torch/" not in f[0] and not f[0].startswith("<")]
        path, line = (outside_torch or frames or [("", 0)])[0]
        return self.loc(path, int(line)) if path else None

    def loc(self, path: str, line: int) -> SourceLoc | None:
        if path == self.user_path:
            return SourceLoc(self.display_name, line, True)
        if path.startswith("<"):
            return None  # TorchScript's own builtins
        short = path.split("site-packages/", 1)[-1]
        return SourceLoc(short, line, False)
