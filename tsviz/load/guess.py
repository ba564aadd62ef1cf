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

import inspect
import re
import weakref
from dataclasses import replace
from typing import Any

import torch
from torch import nn

from tsviz.load.expressions import evaluate
from tsviz.load.follow import (
    SEQUENCE_LAYERS,
    Followed,
    first_registered,
    follow,
    rank_read,
    undone,
    unpacked_names,
)
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
    ranks = [rank_read(model, p.name) for p in required]
    return list(dict.fromkeys(tuple(_to_rank(spec, rank) for spec, rank in zip(specs, ranks, strict=True))
                              for specs in _guess(model, required, dtype)))


def _to_rank(spec: InputSpec, rank: int) -> InputSpec:
    """A guess with more dimensions than forward() reads (an image guessed for a B x C x N point cloud, whose
    points meet a Conv2d only once grouped) cut to that many, keeping the leading ones."""
    if not rank or spec.expr or len(spec.shape) <= rank:
        return spec
    return InputSpec(spec.shape[:rank], spec.dtype)


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
        registered = first_registered(model)
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
    if place is not None and (place.position == 0 or (isinstance(layer, SEQUENCE_LAYERS) and place.position < 3)):
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
    return [(spec if spec.expr else replace(spec, shape=undone(spec.shape, place.reorder)), b,
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
    if isinstance(layer, SEQUENCE_LAYERS):
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
