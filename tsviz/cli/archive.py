"""tsviz archive | passes: what a TorchScript archive holds (a .py's saved conversion, read without running it),
and TorchScript's passes run one at a time."""
from __future__ import annotations

from typing import Any

from tsviz.cli.common import converted, print_json, request_of, run
from tsviz.model.jobs import saved_archive_request
from tsviz.model.types import PassRequest
from tsviz.report import views


def archive(args: Any) -> int:
    result = converted(args)
    if result.kind == "py":  # inspect the archive this conversion saves
        result = converted(args, saved_archive_request(result))
    report = result.archive_report
    if args.json:
        return print_json(views.archive_data(result.filename, report))
    print(f"{result.filename}: file format version {report.format_version}. {report.version_note}")
    if report.training:
        print("saved in training mode")
    print(f"\n{len(report.files)} files, {sum(f[2] for f in report.files) / 1e6:.2f} MB uncompressed")
    print("\nmodules:")
    for m in report.modules:
        print(f"  {m.path or '(model)'}: {m.type}, {len(m.tensors)} tensors, {views.module_bytes(m) / 1024:.1f} KB; "
              f"{'; '.join(m.methods)}")
    print("\nbiggest tensors:")
    for t in report.biggest():
        print(f"  {t.name} ({t.kind}): {' x '.join(map(str, t.shape)) or 'scalar'} {t.dtype}, {t.bytes / 1024:.1f} KB")
    for name, size, _ in report.extra_files:
        print(f"extra file: {name} ({size} bytes)")
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
