"""Where an argument of forward() goes, read from the model's source: followed through forward(), the model's own
methods and submodules, the loops over them and the names it is given on the way, to the first layer tsviz can
read (an Embedding, a convolution, a Linear, an RNN, attention), with what happens to it on the way in (a permute,
a column picked for an embedding). Also what forward() says of an argument's form: a tuple it unpacks, the rank
its shape is unpacked into. Pure reading of source and module trees: nothing here runs the model (tsviz.load.guess
turns what is found into inputs)."""
from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, replace
from typing import Any

from torch import nn


@dataclass(frozen=True)
class Followed:
    """Where an argument of forward() goes: the layer that takes it, as which of that layer's arguments, and the
    modules it passes through on the way, outermost first."""

    layer: nn.Module
    position: int
    path: tuple[nn.Module, ...]
    # the dimensions reordered on the way in (`self.conv(x.permute(0, 2, 1))`: (0, 2, 1); `x.transpose(1, 2)`:
    # (-1, 1, 2), a swap): the argument is the layer's input with this order undone
    reorder: tuple[int, ...] = ()
    # the argument's columns each go into an embedding (`self.hour_embed(x[:, :, 3])`, `self.day_embed(x[:, :, 1])`):
    # (the axis they are on, how many, the fewest ids any of those embeddings holds)
    columns: tuple[int, int, int] = ()


def first_layer(model: nn.Module, param: str) -> nn.Module | None:
    """The layer forward()'s argument `param` goes into first: followed through the source of forward()
    (`self.encoder(input)` -> the Embedding), else the first layer the model registered."""
    followed = follow(model, param)
    return followed.layer if followed is not None else first_registered(model)


def first_registered(model: nn.Module) -> nn.Module | None:
    """The first layer tsviz can read that the model registered: where an argument goes when its source cannot
    be followed (a layer tsviz does not know, code it cannot read)."""
    return next((m for m in model.modules() if is_known(m)), None)


def follow(model: nn.Module, param: str) -> Followed | None:
    """Where forward()'s argument `param` goes first, followed through the source of forward(), the model's own
    methods it calls (`self.encode_image(image)`), its submodules (`self.transformer.wte(idx)`), the loops over
    them (`for block in self.blocks`) and the names it is given on the way (`x = image.type(self.dtype)`)."""
    return _follow(model, param, 0, (), 0)


def _follow(module: nn.Module, param: str, depth: int, path: tuple[nn.Module, ...],
            position: int) -> Followed | None:
    path = (*path, module)
    if is_known(module):
        return Followed(module, position, path)
    if depth > 6:
        return None
    return _follow_source(module, type(module).forward, param, depth, path)


def _follow_source(module: nn.Module, fn: Any, param: str, depth: int,
                   path: tuple[nn.Module, ...]) -> Followed | None:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    names = _aliases(tree, param)
    loops = _loop_variables(tree)
    # in the order Python runs them: by line, and on a line inner calls (which end first) before outer ones
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)),
                   key=lambda n: (n.lineno, n.end_lineno or n.lineno, n.end_col_offset or 0))
    for call in calls:
        where = _self_path(call.func) or (loops.get(call.func.id) if isinstance(call.func, ast.Name) else None)
        uses = [i for i, arg in enumerate(call.args) if _derived(arg, names)]
        by_name = [k.arg for k in call.keywords if k.arg and _derived(k.value, names)]
        if where is None or not (uses or by_name):
            continue
        try:
            child = module.get_submodule(where)
        except AttributeError:
            child = None
        method = getattr(type(module), where, None) if child is None and "." not in where else None
        if child is not None:
            inner = _forward_param_names(child)
        elif inspect.isfunction(method):
            inner = [p for p in inspect.signature(method).parameters][1:]
        else:
            continue
        place = uses[0] if uses else inner.index(by_name[0]) if by_name[0] in inner else -1
        if place < 0 or (child is None and place >= len(inner)):
            continue
        if child is not None and (is_known(child) or place < len(inner)):
            found = _follow(child, inner[place] if place < len(inner) else "", depth + 1, path, place)
        elif child is None:
            found = _follow_source(module, method, inner[place], depth + 1, path)
        else:
            continue
        if found is not None:
            reorder = _reorder(call.args[uses[0]]) if uses else ()
            found = replace(found, reorder=reorder) if reorder and not found.reorder else found
            columns = _columns(module, calls, names) if uses and isinstance(found.layer, nn.Embedding) and \
                _column_of(call.args[uses[0]], names) else ()
            return replace(found, columns=columns) if columns else found
    return None


def _column_of(node: ast.expr, names: set[str]) -> tuple[int, int] | None:
    """`x[:, :, 3]` -> (2, 3): one column of the argument, picked by a constant on one axis, the others whole."""
    if not (isinstance(node, ast.Subscript) and _derived(node.value, names) and isinstance(node.slice, ast.Tuple)):
        return None
    picks = [(axis, e.value) for axis, e in enumerate(node.slice.elts)
             if isinstance(e, ast.Constant) and isinstance(e.value, int) and e.value >= 0]
    whole = all(isinstance(e, ast.Slice) and e.lower is e.upper is e.step is None for e in node.slice.elts
                if not isinstance(e, ast.Constant))
    return picks[0] if len(picks) == 1 and whole else None


def _columns(module: nn.Module, calls: list[ast.Call], names: set[str]) -> tuple[int, int, int]:
    """Every column of the argument that a submodule of `module` embeds: their axis, count and the fewest ids."""
    found = []
    for call in calls:
        where, column = _self_path(call.func), _column_of(call.args[0], names) if call.args else None
        try:
            child = module.get_submodule(where) if where and column else None
        except AttributeError:
            child = None
        embedding = next((m for m in child.modules() if isinstance(m, nn.Embedding)), None) if child else None
        if embedding is not None:
            found.append((*column, embedding.num_embeddings))
    axes = {axis for axis, _, _ in found}
    if len(axes) != 1:
        return ()
    return axes.pop(), 1 + max(k for _, k, _ in found), min(n for _, _, n in found)


def _reorder(node: ast.expr) -> tuple[int, ...]:
    """`x.permute(0, 2, 1)` -> (0, 2, 1); `x.transpose(1, 2)` -> (-1, 1, 2) (a swap, of any rank); else ()."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.keywords and
            all(isinstance(a, ast.Constant) and isinstance(a.value, int) for a in node.args)):
        return ()
    dims = tuple(a.value for a in node.args)
    if node.func.attr == "permute" and sorted(dims) == list(range(len(dims))):
        return dims
    if node.func.attr == "transpose" and len(dims) == 2:
        return (-1, *dims)
    return ()


def undone(shape: tuple[int, ...], reorder: tuple[int, ...]) -> tuple[int, ...]:
    """The shape that `reorder` turns into `shape`: the argument's, for the layer's expected `shape`."""
    if reorder[:1] == (-1,):  # a swap is its own inverse
        a, b = (d % len(shape) for d in reorder[1:])
        out = list(shape)
        out[a], out[b] = out[b], out[a]
        return tuple(out)
    if len(reorder) != len(shape):
        return shape
    out = [0] * len(shape)
    for i, d in enumerate(reorder):
        out[d] = shape[i]
    return tuple(out)


_FUNCTION_ROOTS = {"torch", "F", "nn", "functional"}


def _derived(node: ast.expr, names: set[str]) -> bool:
    """True when `node` is the tensor one of `names` holds, or made from it: its methods, indexing and attributes,
    a torch function taking it first (`torch.flatten(x, 1)`, `F.relu(x)`), arithmetic with it on the left, a list
    holding it; not a tensor it only takes part in making (`scores.masked_fill(mask, 0)`), nor what a helper of
    the file makes of it (`timestep_embedding(t, dim)`), whose shape is its own."""
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        return _derived(node.value, names)
    if isinstance(node, ast.UnaryOp):
        return _derived(node.operand, names)
    if isinstance(node, ast.BinOp):
        return _derived(node.left, names)
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_derived(e, names) for e in node.elts)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and _derived(node.func.value, names):
            return True
        func = node.func  # torch's functions (`torch.flatten(x, 1)`, `F.relu(x)`), not the file's own helpers
        is_function = isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Attribute)) and (
            ast.unparse(func.value).split(".")[0] in _FUNCTION_ROOTS)
        return is_function and bool(node.args) and _derived(node.args[0], names)
    return False


def _aliases(tree: ast.AST, param: str) -> set[str]:
    """`param` and the names given to tensors made from it without a layer (`x = image.type(self.dtype)`,
    `h = x.permute(0, 2, 1)`); sizes read from it (`b, t = idx.size()`) are not the tensor."""
    names = {param}
    for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Assign)), key=lambda n: n.lineno):
        value = node.value
        if not _joins(value, names) and (not _derived(value, names) or _is_size(value) or any(
                isinstance(n, ast.Call) and _self_path(n.func) for n in ast.walk(value))):
            continue
        names |= {n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _joins(node: ast.expr, names: set[str]) -> bool:
    """`torch.cat((self.label_emb(labels), noise), -1)`: the argument itself joined with other tensors, so the
    joined tensor goes where the argument goes (the width it leaves to the argument is mended by a run)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr in ("cat", "concat", "concatenate", "stack", "hstack") and bool(node.args) and \
        isinstance(node.args[0], (ast.Tuple, ast.List)) and \
        any(isinstance(e, ast.Name) and e.id in names for e in node.args[0].elts)


def _is_size(node: ast.expr) -> bool:
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr in ("shape", "ndim", "dtype", "device")
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in ("size", "dim", "numel", "len")
    return False


def _loop_variables(tree: ast.AST) -> dict[str, str]:
    """`for block in self.blocks:` (or `enumerate(self.blocks)`) -> {"block": "blocks.0"}: the first of them
    (`for module in self:`, an nn.Sequential's own loop -> "0")."""
    found = {}
    for node in (n for n in ast.walk(tree) if isinstance(n, ast.For)):
        iterated, target = node.iter, node.target
        if isinstance(iterated, ast.Call) and isinstance(iterated.func, ast.Name) and iterated.func.id == "enumerate" \
                and iterated.args and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            iterated, target = iterated.args[0], target.elts[1]
        where = "" if isinstance(iterated, ast.Name) and iterated.id == "self" else _self_path(iterated)
        if where is not None and isinstance(target, ast.Name):
            found[target.id] = f"{where}.0" if where else "0"
    return found


def _self_path(func: ast.expr) -> str | None:
    """`self.transformer.wte` -> "transformer.wte", `self.blocks[0]` (or `[i]`) -> "blocks.0"; None for anything
    not rooted at self."""
    parts = []
    while isinstance(func, (ast.Attribute, ast.Subscript)):
        if isinstance(func, ast.Subscript):
            index = func.slice
            if isinstance(index, ast.Name):  # `self.downsample_layers[i](x)` in a loop: its first turn
                parts.append("0")
            elif isinstance(index, ast.Constant) and isinstance(index.value, int) and index.value >= 0:
                parts.append(str(index.value))
            else:
                return None
        else:
            parts.append(func.attr)
        func = func.value
    return ".".join(reversed(parts)) if isinstance(func, ast.Name) and func.id == "self" and parts else None


def _forward_param_names(module: nn.Module) -> list[str]:
    try:
        return [p for p in inspect.signature(module.forward).parameters if p != "self"]
    except (TypeError, ValueError):
        return []


SEQUENCE_LAYERS = (nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer,
                    nn.TransformerEncoder, nn.TransformerDecoder, nn.Transformer)
_KNOWN = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
          nn.Embedding, nn.EmbeddingBag, nn.RNNBase, nn.RNNCellBase,
          *SEQUENCE_LAYERS)


def is_known(module: nn.Module) -> bool:
    return isinstance(module, _KNOWN)


def rank_read(model: nn.Module, param: str) -> int:
    """The number of dimensions forward() unpacks its argument's shape into (`B, _, N = xyz.shape`: 3), else 0."""
    for node in _forward_nodes(model):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple) and \
                not any(isinstance(e, ast.Starred) for e in node.targets[0].elts) and _is_shape_of(node.value, param):
            return len(node.targets[0].elts)
    return 0


def _is_shape_of(node: ast.expr, param: str) -> bool:
    """`param.shape` or `param.size()`."""
    if isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute) and \
            node.func.attr == "size":
        node = node.func
    elif not (isinstance(node, ast.Attribute) and node.attr == "shape"):
        return False
    return isinstance(node.value, ast.Name) and node.value.id == param


def unpacked_names(model: Any, param: str) -> list[str]:
    """The names forward() unpacks its argument `param` into (`text, lengths, mels, max_len, out_lengths =
    inputs`), in order; [] when it does not."""
    for node in _forward_nodes(model):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == param and \
                len(node.targets) == 1 and isinstance(node.targets[0], (ast.Tuple, ast.List)) and \
                all(isinstance(e, ast.Name) for e in node.targets[0].elts):
            return [e.id for e in node.targets[0].elts]
    return []


def _forward_nodes(model: Any) -> list[ast.AST]:
    """The syntax nodes of the model's forward(), [] where its source cannot be read."""
    try:
        return list(ast.walk(ast.parse(textwrap.dedent(inspect.getsource(type(model).forward)))))
    except (OSError, TypeError, SyntaxError, AttributeError):
        return []
