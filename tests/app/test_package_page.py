"""A torch.package uploaded under any name: the Graph & code page lists it and draws its first model; the picker
shows another (a ScriptModule as an archive), the mode radio traces an eager one."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from support.packages import accent_package
from support.samples import ROOT


def uploaded(tmp_path: Path, name: str = "accent_model.bin") -> AppTest:
    data = accent_package(tmp_path).read_bytes()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.sidebar.radio(key="source_kind").set_value("Upload a file").run()
    return at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()


def test_an_uploaded_package_lists_its_pickles_and_draws_the_eager_model_with_its_source(tmp_path: Path) -> None:
    at = uploaded(tmp_path)
    assert not at.exception and not at.error
    assert "torch.package" in at.header[0].value
    pickles = next(d.value for d in at.dataframe if "pickle" in d.value.columns)
    assert pickles["holds"].tolist() == ["nn.Module", "ScriptModule", "dict"]
    assert at.selectbox(key="package_pickle").value == "model/model.pkl"
    assert any("class Accent(nn.Module)" in c.value for c in at.code)  # the interned source
    assert any("prim::If" in c.value or "if bool(" in c.value for c in at.code)  # the scripted .code


def test_picking_the_script_module_shows_it_as_an_archive_and_tracing_the_eager_one_drops_the_if(
        tmp_path: Path) -> None:
    at = uploaded(tmp_path)
    at.radio(key="package_mode").set_value("trace").run()
    assert not at.exception and not at.error
    assert not any("if bool(" in c.value for c in at.code)  # a trace keeps one branch
    at.selectbox(key="package_pickle").set_value("model/scripted.pkl").run()
    assert not at.exception and not at.error
    assert any("__torch__/accent_model" in c.value for c in at.code)  # the code stored in the archive
    assert at.radio(key="package_mode").disabled


def test_typed_inputs_trace_the_eager_model_and_a_bad_one_says_what_is_wrong(tmp_path: Path) -> None:
    at = uploaded(tmp_path)
    at.radio(key="package_mode").set_value("trace").run()
    at.text_input(key="package_inputs").set_value("4x8").run()
    assert not at.exception and not at.error
    assert any("Traced on 4x8 float32" in c.value.replace("\\", "") for c in at.caption)
    at.text_input(key="package_inputs").set_value("4xq").run()
    assert not at.exception and at.error and "4xq" in at.error[0].value.replace("\\", "")
