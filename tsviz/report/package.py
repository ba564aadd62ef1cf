"""A torch.package's listing as rows, text and JSON: the Graph & code page's tables and `tsviz inspect FILE`."""
from __future__ import annotations

from tsviz.model.jsonio import to_data
from tsviz.model.package import PackageResult
from tsviz.report.views import inspect_data

PICKLE_COLUMNS = ["pickle", "holds", "class", "note"]


def package_data(result: PackageResult) -> dict:
    """The JSON object of `tsviz inspect PACKAGE --json`: the listing, and the picked model as `inspect --json`
    gives a .py's or an archive's."""
    return {"file": result.filename, "kind": "package", "modules": list(result.modules),
            "externs": list(result.externs), "pickles": [{**to_data(p), "drawn": p.drawn} for p in result.pickles],
            "other_files": list(result.other_files), "picked": result.picked, "source_file": result.source_file,
            "model": inspect_data(result.model) if result.model is not None else None,
            "notes": list(result.notes)}


def pickle_rows(result: PackageResult) -> list[dict]:
    return [{"pickle": p.resource, "holds": p.holds or "(not loaded)", "class": p.type,
             "note": p.error or ("shown" if p.resource == result.picked else "drawn when picked" if p.drawn else "")}
            for p in result.pickles]


def summary_lines(result: PackageResult) -> list[str]:
    """`tsviz inspect PACKAGE` without --json."""
    lines = [f"{result.filename}: torch.package archive, {len(result.modules)} interned modules, "
             f"{len(result.externs)} extern, {len(result.pickles)} pickles"]
    lines += [f"module {name}" for name in result.modules]
    lines += [f"pickle {p.resource}: {p.holds or 'not loaded'} {p.type}{' (' + p.error + ')' if p.error else ''}"
              .rstrip() for p in result.pickles]
    lines.append(f"extern: {', '.join(result.externs) or 'none'}")
    if result.model is not None:
        source = f", its source {result.source_file}" if result.source_file else ""
        lines.append(f"shown: {result.picked} ({result.model.mode}{source}); another: --entry PICKLE")
    lines += [f"note: {note}" for note in result.notes]
    return lines
