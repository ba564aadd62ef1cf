"""A .py's trained weights on the page: the sidebar's second uploader (or the local weights file `tsviz FILE
--weights W` was started with), and on the graph page what did not fit, with the constructor value to change."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import streamlit as st

from tsviz.client import files, sandbox
from tsviz.model.errors import TsvizError
from tsviz.model.filekinds import sniff
from tsviz.model.types import InspectResult
from tsviz.model.uploads import check_upload
from tsviz.model.weights import WEIGHTS_FILE_KINDS
from tsviz.report import weights as views
from tsviz.report.views import size_text
from tsviz.ui.text import code, plain

_KEPT = "weights_kept"  # (the model file's key, name, bytes): kept outside the widget, so it survives a page switch
UPLOADER_KEY = "upload_weights"
UPLOAD_NAME = "weights.bin"  # the job file's name where the job reads it (the user's name travels as weights_name)


def weights_fields(bar: Any, file_key: str, local: bool) -> dict[str, Any]:
    """The request's weights: the local weights file beside a local model, else the upload for this model file
    (the Weights uploader, under the model's own); {} without any."""
    if local and (path := sandbox.weights_file()):
        info = os.stat(path)
        bar.caption(f"Weights {code(path)}, {size_text(info.st_size)}: loaded into the model, read where they lie.")
        return dict(weights_path=path, weights_name=Path(path).name,
                    weights_stamp=f"{info.st_size}:{info.st_mtime_ns}")
    upload = bar.file_uploader("Weights (optional)", key=UPLOADER_KEY,
                               help="A state dict, a checkpoint (.pth, .pt, .tar, .ckpt, any name), safetensors or a "
                                    "whole pickled model (torch.save(model)): loaded into the model this file builds, "
                                    "in the sandboxed worker; every page then works on the trained model.")
    if upload is not None:
        try:
            check_upload(upload.name, upload.size)
            data = upload.getvalue()
            found = sniff(data)
            if found.kind not in WEIGHTS_FILE_KINDS:
                raise TsvizError(f"this is a {found.label}, not weights: the Weights uploader takes a state dict, a "
                                 "checkpoint, safetensors or a whole pickled model", file=upload.name,
                                 hint="upload it as the model instead, or pick the torch.save file")
            st.session_state[_KEPT] = (file_key, upload.name, data)
        except TsvizError as e:  # the previous weights, if any, stay
            bar.error(plain(e.one_line()), icon=":material/block:")
    kept = st.session_state.get(_KEPT)
    if kept is None or kept[0] != file_key:  # none, or uploaded for another model file
        return {}
    if upload is None:
        bar.caption(f"Weights: {plain(kept[1])}, uploaded earlier.")
        if bar.button("Use no weights", key="drop_weights", icon=":material/close:"):
            del st.session_state[_KEPT]
            return {}
    # held by the server as a file and handed to each job by name: 100 MB of weights never ride in the job's JSON
    return dict(weights_file=files.hold(kept[2], UPLOAD_NAME), weights_name=kept[1])


def show_weights_load(result: InspectResult) -> None:
    """What of the weights did not fit (the summary line is among the notes): shapes that differ with the
    constructor value that fits, then the names missing from the file and those the model has no place for."""
    loaded = result.weights
    if loaded is None or loaded.complete:
        return
    import pandas as pd  # only when there is a table to show: not on every page's first run

    with st.expander(views.load_title(loaded), expanded=bool(loaded.mismatched), icon=":material/rule:"):
        if loaded.mismatched:
            st.markdown("**Of another shape** (not loaded: the model keeps its own value there)")
            st.dataframe(pd.DataFrame(views.mismatch_rows(loaded), columns=views.MISMATCH_COLUMNS), hide_index=True,
                         key="weights_mismatched")
        if loaded.missing:
            st.markdown("**Missing from the file** (these keep the values the model was built with)")
            st.dataframe(pd.DataFrame(views.key_rows(loaded.missing), columns=views.KEY_COLUMNS), hide_index=True,
                         key="weights_missing")
        if loaded.unexpected:
            st.markdown("**In the file, not in the model** (left out)")
            st.dataframe(pd.DataFrame(views.key_rows(loaded.unexpected), columns=views.KEY_COLUMNS), hide_index=True,
                         key="weights_unexpected")
