"""tsviz archive | passes: what a TorchScript archive holds (a .py's saved conversion, read without running it),
or a state dict's or checkpoint's tensors (loaded weights_only); and TorchScript's passes run one at a time."""
from __future__ import annotations

from typing import Any

from tsviz.cli.common import converted, print_json, request_of, run
from tsviz.model.filekinds import WEIGHT_KINDS
from tsviz.model.jobs import kind_of, saved_archive_request
from tsviz.model.jsonio import to_data
from tsviz.model.types import PassRequest
from tsviz.model.weights import WeightsResult
from tsviz.report import views
from tsviz.report import weights as weights_view


def archive(args: Any) -> int:
    request = request_of(args, also=WEIGHT_KINDS)
    if kind_of(request).kind in WEIGHT_KINDS:  # a state dict or a checkpoint: its tensors, loaded weights_only
        return weights(args, run(args, "weights", request))
    result = converted(args, request)
    loaded = result.weights  # --weights: the archive holds the trained model
    if result.kind == "py":  # inspect the archive this conversion saves
        result = converted(args, saved_archive_request(result))
    report = result.archive_report
    if args.json:
        return print_json({**views.archive_data(result.filename, report),
                           **({"weights": to_data(loaded)} if loaded is not None else {})})
    print(f"{result.filename}: file format version {report.format_version}. {report.version_note}")
    if loaded is not None:
        print(f"saved with the weights: {loaded.summary().removeprefix('Weights: ')}")
    if report.training:
        print("saved in training mode")
    print(f"\n{len(report.files)} files, {sum(f[2] for f in report.files) / 1e6:.2f} MB uncompressed")
    print("\nmodules:")
    for m in report.modules:
        print(f"  {m.path or '(model)'}: {m.type}, {len(m.tensors)} tensors, {views.size_text(views.module_bytes(m))}; "
              f"{'; '.join(m.methods)}")
    print("\nbiggest tensors:")
    for t in report.biggest():
        shape = " x ".join(map(str, t.shape)) or "scalar"
        print(f"  {t.name} ({t.kind}): {shape} {t.dtype}, {views.size_text(t.bytes)}")
    for name, size, _ in report.extra_files:
        print(f"extra file: {name} ({size} bytes)")
    return 0


def weights(args: Any, result: WeightsResult) -> int:
    if args.json:
        return print_json(weights_view.weights_data(result))
    print(weights_view.summary_line(result))
    for note in result.notes:
        print(f"note: {note}")
    print("\nby dtype:")
    for total in result.by_dtype:
        print(f"  {weights_view.total_text(total)}")
    print("\nby top-level module:")
    for total in result.by_module:
        print(f"  {weights_view.total_text(total)}")
    print("\ntensors:")
    for tensor in result.tensors:
        shape = weights_view.shape_text(tensor.shape)
        print(f"  {tensor.name}: {shape} {tensor.dtype}, {views.size_text(tensor.bytes)}")
    if result.entries:
        print("\nother entries:")
    for entry in result.entries:
        print(f"  {entry.key} ({entry.kind}): {entry.summary}")
    return 0


def passes(args: Any) -> int:
    result = run(args, "passes", PassRequest(request_of(args), args.passes))
    if args.json:
        return print_json(views.passes_data(result))
    print(f"{result.filename} ({result.mode})")
    for note in result.notes:
        print(f"note: {note}")
    for step in result.steps:
        print(f"  {step.summary}" + (f"  [{step.seconds * 1000:.0f} ms]" if step.seconds else ""))
    return 0 if all(s.error is None for s in result.steps) else 1
