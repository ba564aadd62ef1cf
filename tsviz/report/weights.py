"""A state dict's or checkpoint's listing as rows and JSON, for the Archive page and `tsviz archive --json`; and what
did not fit when weights were loaded into a .py's model, as rows for the graph page."""
from __future__ import annotations

from tsviz.model.jsonio import to_data
from tsviz.model.weights import WeightKey, WeightsLoad, WeightsResult, WeightTotal, by_module

TENSOR_COLUMNS = ["module", "tensor", "shape", "dtype", "elements", "bytes"]
TOTAL_COLUMNS = ["name", "tensors", "elements", "bytes"]
ENTRY_COLUMNS = ["entry", "kind", "what it holds"]
MISMATCH_COLUMNS = ["module", "tensor", "in the file", "in the model", "what to change"]
KEY_COLUMNS = ["module", "tensors"]


def weights_data(result: WeightsResult) -> dict:
    """One JSON object: the result as it came, with its totals."""
    return {**to_data(result), "total_bytes": result.total_bytes, "total_elements": result.total_numel}


def tensor_rows(result: WeightsResult, module: str = "") -> list[dict]:
    """One row a tensor, in the file's order; only those under `module` ("layer1" takes "layer1.0.conv1.weight")."""
    cut = len(result.prefix)
    return [{"module": t.module or "(top)", "tensor": t.name[cut:].rsplit(".", 1)[-1], "shape": shape_text(t.shape),
             "dtype": t.dtype, "elements": t.numel, "bytes": t.bytes}
            for t in result.tensors if not module or t.module == module or t.module.startswith(f"{module}.")]


def total_rows(totals: tuple[WeightTotal, ...]) -> list[dict]:
    return [{"name": t.name, "tensors": t.tensors, "elements": t.numel, "bytes": t.bytes} for t in totals]


def entry_rows(result: WeightsResult) -> list[dict]:
    return [{"entry": e.key, "kind": e.kind, "what it holds": e.summary} for e in result.entries]


def total_text(total: WeightTotal) -> str:
    """"float32: 8 tensors, 138 elements, 552 bytes"."""
    return (f"{total.name}: {total.tensors} tensor{'s' if total.tensors != 1 else ''}, {total.numel:,} element"
            f"{'s' if total.numel != 1 else ''}, {total.bytes:,} bytes")


def shape_text(shape: tuple[int, ...]) -> str:
    return " × ".join(map(str, shape)) or "scalar"


def summary_line(result: WeightsResult) -> str:
    """"ck.tar: a checkpoint (zip), its weights in 'model_state_dict': 62 tensors, 11,689,512 elements, 44.6 MB"."""
    where = f", its weights in '{result.weights_entry}'" if result.weights_entry else ""
    return (f"{result.filename}: {result.holds} ({result.format}){where}: {len(result.tensors)} tensors, "
            f"{result.total_numel:,} elements, {result.total_bytes / 2**20:.1f} MB")


def mismatch_rows(loaded: WeightsLoad) -> list[dict]:
    """One row a tensor whose shape differs, with the hint (the constructor value that would fit)."""
    return [{"module": m.module or "(top)", "tensor": m.name.rsplit(".", 1)[-1],
             "in the file": shape_text(m.file_shape), "in the model": shape_text(m.model_shape),
             "what to change": m.hint.split(": ", 1)[-1]}
            for m in loaded.mismatched]


def key_rows(keys: tuple[WeightKey, ...]) -> list[dict]:
    """One row a module: the names of its tensors missing from the file (or not in the model)."""
    return [{"module": module or "(top)", "tensors": ", ".join(n.rsplit(".", 1)[-1] for n in names)}
            for module, names in by_module(keys).items()]


def load_title(loaded: WeightsLoad) -> str:
    """"What did not fit: 2 of another shape, 1 missing, 1 unexpected"."""
    parts = [f"{len(keys)} {what}" for keys, what in ((loaded.mismatched, "of another shape"),
                                                     (loaded.missing, "missing"), (loaded.unexpected, "unexpected"))
             if keys]
    return "What did not fit: " + ", ".join(parts)
