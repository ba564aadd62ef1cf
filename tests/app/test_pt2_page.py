"""A .pt2 uploaded under any name: the Graph & code page shows its graph, code, signature and sample run; a page that
needs TorchScript says where it is shown."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest
from support import programs
from support.samples import ROOT


def uploaded(name: str, data: bytes) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.sidebar.radio(key="source_kind").set_value("Upload a file").run()
    return at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()


def tables(at: AppTest, column: str) -> list:
    """The page's tables with this column, in page order."""
    return [d.value for d in at.dataframe if column in d.value.columns]


def test_an_uploaded_pt2_shows_its_graph_code_and_signature() -> None:
    at = uploaded("batch.pt2", programs.dynamic_batch())
    assert not at.exception and not at.error
    assert "exported program" in at.header[0].value
    assert any("aten.linear" in c.value for c in at.code)  # ep.graph_module.code
    user, parameters, buffers = tables(at, "state")  # no constants: a caption, not a table
    assert user["name"].tolist() == ["x"] and user["shape"].tolist()[0].endswith("×4")
    assert parameters["state"].tolist() == ["fc.weight", "fc.bias"] and buffers["state"].tolist() == ["scale", "shift"]
    assert tables(at, "sample run")[0]["max"].tolist() == [64]
    assert any("3x3 float32" in m.value for m in at.markdown)  # the sample run's output
    assert any("saved as .pt2" in c.value.replace("\\", "") for c in at.caption)


def test_a_page_that_needs_torchscript_points_a_pt2_to_the_graph_page() -> None:
    at = uploaded("gate.bin", programs.with_cond()).switch_page("pages/4_Passes.py").run()
    assert not at.exception and not at.error
    assert "**Graph & code** page shows its graph" in at.info[0].value.replace("\\", "")
