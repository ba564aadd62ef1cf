"""Example inputs when the file gives none: one guess from the model itself, used by every page and command.

The guess follows every required argument of forward() to the layer that takes it (an nn.Embedding wants int64
token ids in range, a convolution an image, an RNN a (seq, batch, features) tensor and, as its second argument,
a state; a Linear its in_features), through the model's own methods and submodules, so `forward(self, image,
text)` gets a float image and token ids. It reads the sizes the model kept from its constructor (`img_size`,
`input_resolution`, `block_size`, `context_length`, or a config object holding them), asks the model for its
own recurrent state (init_hidden(batch_size) and similar), leaves parameters with defaults at their defaults,
and uses the dtype of the model's parameters. Guesses and typed inputs alike are InputSpecs: a shape and dtype,
or a Python expression evaluated here in the worker (`torch.randint(0, 100, (35, 4))`, `model.init_hidden(4)`).
"""
from __future__ import annotations

import ast
import inspect
import re
import textwrap
import weakref
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from tsviz.load.expressions import evaluate
from tsviz.model.types import InputSpec, Param

TORCH_DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "int64": torch.int64, "int32": torch.int32, "bool": torch.bool,
}
BATCH, SEQ = 2, 8
_STATE_METHOD = re.compile(r"^(init|initial|begin|zero|get_initial|get_init|reset)_?(hidden|state|states)$"
                           r"|^initHidden$", re.IGNORECASE)
_STATE_PARAM = re.compile(r"^(hidden|hiddens|hx|h0|h|state|states|hc|memory|mems|h_c|carry)$", re.IGNORECASE)


def guess_inputs(target: Any, params: list[Param]) -> list[tuple[InputSpec, ...]]:
    """Guesses at forward()'s (or the function's) required inputs, best first: one InputSpec per required
    parameter, in order, each followed to the layer that takes it. More than one guess when a layer leaves a size
    open (an image's height and width, a Linear's leading dimensions, a sequence length): the caller keeps the
    first one the model runs on."""
    required = [p for p in params if p.default is None and not p.name.startswith("*")]
    if not required:
        return [()]
    model = target if isinstance(target, nn.Module) else None
    dtype = parameter_dtype(model)
    if model is None:
        return [tuple(InputSpec((BATCH, SEQ), dtype) for _ in required)]
    # `text, lengths, mels = inputs`: one argument holding a tuple, each of its names guessed as an argument
    groups = [unpacked_names(model, p.name) or [p.name] for p in required]
    if any(len(group) > 1 for group in groups):
        flat = _guess(model, [Param(name) for group in groups for name in group], dtype)
        return [_regrouped(specs, groups) for specs in flat]
    ranks = [_rank_read(model, p.name) for p in required]
    return list(dict.fromkeys(tuple(_to_rank(spec, rank) for spec, rank in zip(specs, ranks, strict=True))
                              for specs in _guess(model, required, dtype)))


def _rank_read(model: nn.Module, param: str) -> int:
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


def _to_rank(spec: InputSpec, rank: int) -> InputSpec:
    """A guess with more dimensions than forward() reads (an image guessed for a B x C x N point cloud, whose
    points meet a Conv2d only once grouped) cut to that many, keeping the leading ones."""
    if not rank or spec.expr or len(spec.shape) <= rank:
        return spec
    return InputSpec(spec.shape[:rank], spec.dtype)


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


def _regrouped(specs: tuple[InputSpec, ...], groups: list[list[str]]) -> tuple[InputSpec, ...]:
    """One InputSpec an argument again: an unpacked argument's values as one tuple expression."""
    out, at = [], 0
    for group in groups:
        part = specs[at:at + len(group)]
        at += len(group)
        out.append(part[0] if len(group) == 1 else
                   InputSpec((), expr=f"({', '.join(spec_expression(spec) for spec in part)})"))
    return tuple(out)


def spec_expression(spec: InputSpec) -> str:
    """An InputSpec as the expression that makes such a value (`torch.randn(2, 80)`), for a tuple of them."""
    if spec.expr:
        return spec.expr
    shape, dtype = repr(tuple(spec.shape)), TORCH_DTYPES[spec.dtype]
    if dtype.is_floating_point:
        return f"torch.randn({shape})" + ("" if dtype == torch.float32 else f".to(torch.{spec.dtype})")
    if dtype == torch.bool:
        return f"torch.rand({shape}) > 0.5"
    return f"torch.randint(0, 8, {shape})" + ("" if dtype == torch.int64 else f".to(torch.{spec.dtype})")


def _guess(model: nn.Module, required: list[Param], dtype: str) -> list[tuple[InputSpec, ...]]:
    followed = [follow(model, p.name) for p in required]
    blind = followed[0] is None
    if blind:
        registered = _first_registered(model)
        followed[0] = Followed(registered, 0, (model, registered)) if registered is not None else None
    state = _state_method(model)
    firsts = _options(followed[0], model, dtype) if followed[0] is not None else [(InputSpec((BATCH, SEQ), dtype),
                                                                                   BATCH, SEQ)]
    if blind and (image := _image_it_was_given(model, dtype)):  # past a layer tsviz cannot read (a Rearrange)
        firsts.insert(0, (image, 1, 0))
    guesses: list[tuple[InputSpec, ...]] = []
    for first, batch, length in firsts:
        partial: list[tuple[tuple[InputSpec, ...], int]] = [((first,), length)]
        for param, place in zip(required[1:], followed[1:]):
            partial = [((*specs, spec), chosen or length) for specs, length in partial
                       for spec, chosen in _other(param, place, followed[0], model, dtype, state, first, batch,
                                                  length)][:MAX_GUESSES]
        guesses += [specs for specs, _ in partial]
    return guesses[:MAX_GUESSES]


def _other(param: Param, place: Followed | None, first_place: Followed | None, model: nn.Module, dtype: str,
           state: str, first: InputSpec, batch: int, length: int) -> list[tuple[InputSpec, int]]:
    """Guesses for a required argument after the first, each with the sequence length it chose (0: none): the
    batch is the first argument's, and the sequence length the last one an earlier argument chose."""
    layer = place.layer if place is not None else None
    recurrent_state = isinstance(layer, (nn.RNNBase, nn.RNNCellBase)) and place.position == 1
    if state and (_STATE_PARAM.match(param.name) or recurrent_state):
        return [(InputSpec((), expr=f"model.{state}({batch})"), 0)]
    if recurrent_state:
        return [(_state_zeros(layer, batch, dtype), 0)]
    first_layer_ = first_place.layer if first_place is not None else None
    if isinstance(layer, nn.EmbeddingBag) and place.position == 1 or (
            isinstance(first_layer_, nn.EmbeddingBag) and "offset" in param.name):
        return [(InputSpec((), expr=f"torch.tensor([0, {SEQ}])"), 0)]
    if place is not None and (place.position == 0 or (isinstance(layer, _SEQUENCE_LAYERS) and place.position < 3)):
        return [(spec, chosen) for spec, _, chosen in _options(place, model, dtype, batch, length)]
    length = length or SEQ
    if _PADDING_PARAM.search(param.name):  # True where a token is padding: none is
        return [(InputSpec((), expr=f"torch.zeros({batch}, {length}, dtype=torch.bool)"), 0)]
    if _MASK_PARAM.search(param.name):  # 1 where a token is attended to: every one
        return [(InputSpec((), expr=f"torch.ones({batch}, {length}, dtype=torch.long)"), 0)]
    if _IDS_PARAM.search(param.name):
        return [(InputSpec((batch, length), "int64"), 0)]
    if _SIZE_PARAM.search(param.name):  # a size the batch's lengths share (`max_len`): a 0-d tensor, which a
        return [(InputSpec((), expr=f"torch.tensor({length})"), 0)]  # trace records, where it keeps an int fixed
    if _LENGTHS_PARAM.search(param.name):
        return [(InputSpec((), expr=f"torch.full(({batch},), {length})"), 0)]
    if _TIME_PARAM.search(param.name):  # a diffusion model's timestep, one a sample
        return [(InputSpec((), expr=f"torch.randint(0, 1000, ({batch},))"), 0)]
    if not first.expr and first.dtype == dtype:
        return [(first, 0)]  # the same kind of tensor as the first (`forward(self, x, y)` adding or joining them)
    return [(InputSpec((batch, length), dtype), 0)]


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
    return followed.layer if followed is not None else _first_registered(model)


def _first_registered(model: nn.Module) -> nn.Module | None:
    """The first layer tsviz can read that the model registered: where an argument goes when its source cannot
    be followed (a layer tsviz does not know, code it cannot read)."""
    return next((m for m in model.modules() if _is_known(m)), None)


def follow(model: nn.Module, param: str) -> Followed | None:
    """Where forward()'s argument `param` goes first, followed through the source of forward(), the model's own
    methods it calls (`self.encode_image(image)`), its submodules (`self.transformer.wte(idx)`), the loops over
    them (`for block in self.blocks`) and the names it is given on the way (`x = image.type(self.dtype)`)."""
    return _follow(model, param, 0, (), 0)


def _follow(module: nn.Module, param: str, depth: int, path: tuple[nn.Module, ...],
            position: int) -> Followed | None:
    path = (*path, module)
    if _is_known(module):
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
        if child is not None and (_is_known(child) or place < len(inner)):
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


def _undone(shape: tuple[int, ...], reorder: tuple[int, ...]) -> tuple[int, ...]:
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


_SEQUENCE_LAYERS = (nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer,
                    nn.TransformerEncoder, nn.TransformerDecoder, nn.Transformer)
_KNOWN = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
          nn.Embedding, nn.EmbeddingBag, nn.RNNBase, nn.RNNCellBase,
          *_SEQUENCE_LAYERS)


def _is_known(module: nn.Module) -> bool:
    return isinstance(module, _KNOWN)


IMAGE_SIDES = (32, 28, 64, 224, 96, 16)  # CIFAR, MNIST, then common crops
SIGNAL_LENGTHS = (32, 128, 1000)
MAX_SEQ = 64  # a sequence length read from the model (a block_size of 1024) is tried capped to this first
MAX_IMAGE_SIDE = 512  # an image side read from the model above this is tried after the usual ones
MAX_GUESSES = 16
IMAGE_ATTRS = ("img_size", "image_size", "input_resolution", "image_resolution", "resolution", "img_res",
               "input_res", "img_shape")
SEQ_ATTRS = ("context_length", "block_size", "max_len", "seq_len", "max_seq_len", "max_length", "n_positions",
             "max_position_embeddings", "n_ctx", "seq_length", "max_seq_length", "sequence_length", "context_size",
             "max_sequence_length", "num_positions")
_IDS_PARAM = re.compile(r"(^|_)(ids|idx|tokens?|text|texts|captions?|words?|labels?|targets?)$", re.IGNORECASE)
_LENGTHS_PARAM = re.compile(r"(^|_)(lengths?|lens|seq_lens?)$", re.IGNORECASE)
_SIZE_PARAM = re.compile(r"^(max|min|num|n)_?(len|length|seq_len|steps|frames|tokens)$", re.IGNORECASE)
_PADDING_PARAM = re.compile(r"(padding|pad)_?mask$", re.IGNORECASE)
_MASK_PARAM = re.compile(r"(^|_)(mask|attention_mask|attn_mask|input_mask)$", re.IGNORECASE)
_TIME_PARAM = re.compile(r"^(t|ts|timesteps?|time|times|time_steps?|steps?|noise_levels?)$", re.IGNORECASE)


def _options(place: Followed, model: nn.Module, dtype: str, batch: int = 0,
             length: int = 0) -> list[tuple[InputSpec, int, int]]:
    """Inputs for the layer an argument goes into, each with its batch size and sequence length (0 for an image
    or a signal): `batch` (and `length`) when an earlier argument chose them, else the layer's usual ones and the
    sizes the model kept; reordered back where forward() permutes the argument on its way to the layer."""
    options = _layer_options(place, model, dtype, batch, length)
    if not place.reorder:
        return options
    # a (batch, time, channels) sequence turned channels-first for a Conv1d: its time is the sequence length the
    # other arguments share (Informer's x_enc and x_mark_enc)
    timed = isinstance(place.layer, nn.Conv1d)
    return [(spec if spec.expr else replace(spec, shape=_undone(spec.shape, place.reorder)), b,
             spec.shape[-1] if timed and not spec.expr else s)
            for spec, b, s in options if spec.expr or place.reorder[0] == -1 or len(spec.shape) == len(place.reorder)]


def _layer_options(place: Followed, model: nn.Module, dtype: str, batch: int = 0,
                   length: int = 0) -> list[tuple[InputSpec, int, int]]:
    layer = place.layer
    seqs = [length] if length else _seq_lengths(place, model)
    b = batch or BATCH
    if isinstance(layer, nn.Embedding) and place.columns:  # columns of ids: time features, categories
        axis, width, ids = place.columns
        return [(InputSpec((), expr=f"torch.randint(0, {ids}, {tuple((b, s)[:axis] + (width,) + (b, s)[axis:])})"),
                 b, s) for s in seqs]
    if isinstance(layer, nn.Embedding):
        recurrent = next((m for m in model.modules() if isinstance(m, nn.RNNBase)), None)
        time_major = recurrent is not None and not recurrent.batch_first
        tokens = [(InputSpec((), expr=f"torch.randint(0, {layer.num_embeddings}, {(s, b) if time_major else (b, s)})"),
                   b, s) for s in seqs]
        # after another argument: perhaps one id a sample (a conditional GAN's class labels)
        labels = [(InputSpec((), expr=f"torch.randint(0, {layer.num_embeddings}, ({b},))"), b, 0)] if batch else []
        return tokens + labels
    if isinstance(layer, nn.EmbeddingBag):
        return [(InputSpec((), expr=f"torch.randint(0, {layer.num_embeddings}, ({2 * SEQ},))"), 2, SEQ)]
    if isinstance(layer, nn.Linear):  # last: features first, transposed on the way (a B x 80 x T spectrogram)
        return [(InputSpec((b, layer.in_features), dtype), b, seqs[0]),
                *((InputSpec((b, s, layer.in_features), dtype), b, s) for s in seqs),
                (InputSpec((b, layer.in_features, seqs[0]), dtype), b, seqs[0])]
    if isinstance(layer, _SEQUENCE_LAYERS):
        width, batch_first = _width(layer)
        return [(InputSpec((b, s, width) if batch_first else (s, b, width), dtype), b, s) for s in seqs]
    if isinstance(layer, nn.RNNBase):
        return [(InputSpec((b, s, layer.input_size) if layer.batch_first else (s, b, layer.input_size), dtype), b, s)
                for s in seqs]
    if isinstance(layer, nn.RNNCellBase):
        return [(InputSpec((b, layer.input_size), dtype), b, seqs[0])]
    b = batch or 1
    if isinstance(layer, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        # a generator's latent code, one pixel a channel (DCGAN), then a feature map to grow
        dims = 1 if isinstance(layer, nn.ConvTranspose1d) else 2 if isinstance(layer, nn.ConvTranspose2d) else 3
        return [(InputSpec((b, layer.in_channels, *[n] * dims), dtype), b, 0) for n in (1, 4, 8)]
    if isinstance(layer, nn.Conv1d):
        lengths = [length] if length and place.reorder else dict.fromkeys([*_positional_lengths(place),
                                                                            *SIGNAL_LENGTHS])
        return [(InputSpec((b, layer.in_channels, n), dtype), b, 0) for n in lengths]
    if isinstance(layer, nn.Conv2d):
        return [(InputSpec((b, layer.in_channels, h, w), dtype), b, 0) for h, w in _image_sides(place, model)]
    assert isinstance(layer, nn.Conv3d)
    return [(InputSpec((b, layer.in_channels, 8, 16, 16), dtype), b, 0),
            (InputSpec((b, layer.in_channels, 16, 64, 64), dtype), b, 0)]


def _positional_lengths(place: Followed) -> list[int]:
    """Signal lengths an encoder on the argument's way was built for: the positions of its positional embedding
    (a (positions, width) buffer or parameter named for them) times the strides of its 1-D convolutions, the
    frames an audio encoder downsamples to them (80 mel bins x 3000 frames -> 1500 positions)."""
    lengths = []
    for module in reversed(place.path):
        tensors = [*module.named_parameters(recurse=False), *module.named_buffers(recurse=False)]
        for name, tensor in tensors:
            if "pos" in name.lower() and tensor.dim() in (2, 3) and 1 < tensor.shape[-2] <= 100_000:
                stride = 1
                for conv in (m for m in module.modules() if isinstance(m, nn.Conv1d)):
                    stride *= conv.stride[0]
                lengths.append(int(tensor.shape[-2]) * stride)
    return lengths


def _width(layer: nn.Module) -> tuple[int, bool]:
    """A transformer layer's model width and whether it takes (batch, seq, width)."""
    if isinstance(layer, (nn.TransformerEncoder, nn.TransformerDecoder)):
        layer = layer.layers[0]
    if isinstance(layer, nn.Transformer):
        layer = layer.encoder.layers[0]
    attention = layer if isinstance(layer, nn.MultiheadAttention) else layer.self_attn
    return attention.embed_dim, bool(attention.batch_first)


def _state_zeros(layer: nn.Module, batch: int, dtype: str) -> InputSpec:
    """A recurrent layer's initial state for `batch` sequences: zeros of its (layers, batch, hidden) shape."""
    tail = "" if dtype == "float32" else f", dtype=torch.{dtype}"
    if isinstance(layer, nn.RNNBase):
        layers = layer.num_layers * (2 if layer.bidirectional else 1)
        hidden = f"torch.zeros({layers}, {batch}, {layer.proj_size or layer.hidden_size}{tail})"
        if isinstance(layer, nn.LSTM):
            return InputSpec((), expr=f"({hidden}, torch.zeros({layers}, {batch}, {layer.hidden_size}{tail}))")
        return InputSpec((), expr=hidden)
    hidden = f"torch.zeros({batch}, {layer.hidden_size}{tail})"
    return InputSpec((), expr=f"({hidden}, {hidden})" if isinstance(layer, nn.LSTMCell) else hidden)


def _seq_lengths(place: Followed, model: nn.Module) -> list[int]:
    """The sequence lengths to try: the model's own (`block_size`, `context_length`: capped to MAX_SEQ first,
    then exact, for models that need all of it), else SEQ."""
    kept = _kept_size(place, model, SEQ_ATTRS)
    n = kept[0] if kept else 0
    return [SEQ] if not n else [min(n, MAX_SEQ)] + ([n] if n > MAX_SEQ else [])


def _image_sides(place: Followed, model: nn.Module) -> list[tuple[int, int]]:
    """Image (height, width) to try: the size the model kept (`img_size`, `input_resolution`) first, then the
    usual ones."""
    sides = [(n, n) for n in IMAGE_SIDES]
    kept = _kept_size(place, model, IMAGE_ATTRS)
    if not kept:
        return sides
    size = (kept[0], kept[-1])
    others = [s for s in sides if s != size]
    return [size, *others] if max(size) <= MAX_IMAGE_SIDE else [*others, size]


_BUILT_WITH: weakref.WeakKeyDictionary[nn.Module, dict[str, Any]] = weakref.WeakKeyDictionary()
CHANNEL_ATTRS = ("channels", "in_chans", "in_channels", "num_channels", "input_channels", "n_channels",
                 "img_channels", "image_channels", "in_ch", "nc")


def remember_constructor(model: Any, kwargs: dict[str, Any]) -> None:
    """Keep the values a model was built with (`ViT(image_size=256)`): sizes the guess reads even when the model
    keeps no attribute of that name."""
    if isinstance(model, nn.Module):
        _BUILT_WITH[model] = dict(kwargs)


def _image_it_was_given(model: nn.Module, dtype: str) -> InputSpec | None:
    """An image of the size the model was built for (`image_size=256`, kept, given or defaulted), with its
    `channels` (else 3), when the guess cannot follow the input to a layer it reads."""
    place = Followed(model, 0, (model,))
    side = _kept_size(place, model, IMAGE_ATTRS, deep=False)
    if not side:
        return None
    channels = _kept_size(place, model, CHANNEL_ATTRS, deep=False)
    return InputSpec((1, channels[0] if len(channels) == 1 else 3, side[0], side[-1]), dtype)


def _kept_size(place: Followed, model: nn.Module, names: tuple[str, ...], deep: bool = True) -> tuple[int, ...]:
    """The first of `names` that the modules on the argument's way (innermost first), then the whole model (only
    the model itself unless `deep`), were built with or keep as an attribute or in a config object of theirs
    (`self.config.block_size`), else that their constructors default to: one or two whole numbers."""
    seen: set[int] = set()
    for module in [*reversed(place.path), *(model.modules() if deep else (model,))]:
        if id(module) in seen:
            continue
        seen.add(id(module))
        attributes = {k: v for k, v in vars(module).items() if not k.startswith("_")}
        holders = [_BUILT_WITH.get(module, {}), attributes, *(_fields(v) for v in attributes.values() if _is_config(v))]
        for holder in holders:
            for name in names:
                size = _whole_numbers(holder.get(name))
                if size:
                    return size
    for module in [*reversed(place.path), model]:  # else the defaults of their constructors (`image_size=48`)
        try:
            parameters = inspect.signature(type(module).__init__).parameters
        except (TypeError, ValueError):
            continue
        for name in names:
            size = _whole_numbers(parameters[name].default) if name in parameters else ()
            if size:
                return size
    return ()


def _is_config(value: Any) -> bool:
    if isinstance(value, (nn.Module, torch.Tensor, type)) or callable(value):
        return False
    return isinstance(value, dict) or hasattr(value, "__dict__")


def _fields(value: Any) -> dict[str, Any]:
    try:
        return dict(value) if isinstance(value, dict) else dict(vars(value))
    except (TypeError, ValueError):
        return {}


def _whole_numbers(value: Any) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000:
        return (value,)
    if isinstance(value, (tuple, list)) and len(value) in (1, 2) and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 100_000 for v in value):
        return tuple(value)
    return ()


def _state_method(model: nn.Module | None) -> str:
    """The model's own method that makes its recurrent state from a batch size (`init_hidden(bsz)`), or ""."""
    if model is None:
        return ""
    for name in dir(type(model)):
        if not _STATE_METHOD.match(name) or name in dir(nn.Module):
            continue
        try:
            params = [p for p in inspect.signature(getattr(model, name)).parameters.values() if p.default is p.empty]
        except (TypeError, ValueError):
            continue
        if len(params) == 1:
            return name
    return ""


def parameter_dtype(model: nn.Module | None) -> str:
    for p in model.parameters() if model is not None else ():
        if p.is_floating_point():
            return next((name for name, dtype in TORCH_DTYPES.items() if dtype == p.dtype), "float32")
    return "float32"


def value_from_spec(spec: InputSpec, generator: torch.Generator, names: dict[str, Any], file: str) -> Any:
    """The input an InputSpec describes: a random tensor of its shape and dtype, or its expression's value
    (`names` are what the expression can use: the file's globals, torch, and `model`), seeded from `generator`."""
    if spec.expr:
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (), generator=generator)))
        return evaluate(spec.expr, names, "the input", file)
    return tensor_from_spec(spec, generator)


def tensor_from_spec(spec: InputSpec, generator: torch.Generator) -> torch.Tensor:
    return random_tensor(spec.shape, TORCH_DTYPES[spec.dtype], generator)


def random_tensor(shape: tuple[int, ...], dtype: torch.dtype, generator: torch.Generator) -> torch.Tensor:
    """Normal floats, fair booleans, or small integers (valid ids for any embedding) of `shape` and `dtype`."""
    if dtype.is_floating_point:
        return torch.randn(shape, generator=generator).to(dtype)
    if dtype == torch.bool:
        return torch.rand(shape, generator=generator) > 0.5
    return torch.randint(0, 8, shape, generator=generator, dtype=dtype)
