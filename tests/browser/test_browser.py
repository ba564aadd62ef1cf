"""The whole app in a real headless Chromium: it opens on a drawn sample, and an uploaded .py gets drawn."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.app_process import running_app
from support.browser import playwright, upload_file
from support.samples import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "browser"  # screenshots of each step
UPLOAD = ("import torch\nfrom torch import nn\n\n\nclass Doubler(nn.Module):\n    def forward(self, x):\n"
          "        return torch.sigmoid(x) * 2\n")
playwright()  # this module is skipped where there is no chromium (an error on CI)


def test_app_opens_on_a_sample_with_the_graph_drawn(server_url: str, page, tmp_path: Path) -> None:
    page.goto(server_url)
    page.wait_for_selector("svg g.node", timeout=90_000)
    assert page.locator("svg g.cluster").count() >= 3  # the prim::If region and its then / else blocks
    assert "prim::If" in page.locator("svg g.node").all_text_contents().__str__()
    assert page.get_by_text("def forward(self,").count() >= 1
    page.screenshot(path=str(tmp_path / "opened.png"))


def upload(page, server_url: str, path: Path, source: str) -> None:
    """Open the app, switch the sidebar to uploads and upload `source` as `path`."""
    path.write_text(source)
    upload_file(page, server_url, path)


def test_upload_a_py_file_and_see_its_graph(server_url: str, page, tmp_path: Path) -> None:
    upload(page, server_url, tmp_path / "doubler.py", UPLOAD)
    page.get_by_text("doubler.py · Doubler · script").wait_for(timeout=90_000)
    page.locator("svg g.node", has_text="aten::sigmoid").first.wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "uploaded.png"))


def test_trace_vs_script_page_shows_the_verdict_and_a_picked_hazard(server_url: str, page, tmp_path: Path) -> None:
    page.goto(f"{server_url}/Trace_vs_script")
    page.get_by_text("trace differs from eager on inputs").wait_for(timeout=90_000)
    page.get_by_text("script matches eager on all").wait_for()
    page.wait_for_selector("svg g.node", timeout=60_000)
    page.screenshot(path=str(tmp_path / "diff-verdict.png"))
    page.get_by_text("Line 20 · Control flow lost").click()
    page.get_by_text("Control flow lost at line 20 of data_dependent_if.py").wait_for(timeout=30_000)
    # the script graph's prim::If, made by line 20, is now marked (the viewer draws marks without a new layout)
    page.locator("svg g.node.tsviz-selected", has_text="prim::If").first.wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "diff-hazard.png"))


def test_benchmarks_page_runs_with_progress_and_draws_the_charts(server_url: str, page, tmp_path: Path) -> None:
    page.goto(f"{server_url}/Benchmarks")
    page.get_by_role("button", name="Run benchmark").click()
    # the progress bar's text; generous: on a fresh machine the server is still making the other pages' first
    # views ahead (Trace vs script, Passes, Migrate) in the same two workers
    page.get_by_text("Timing eager on cpu").wait_for(timeout=240_000)
    page.get_by_role("button", name="Download CSV").wait_for(timeout=180_000)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    assert page.get_by_text("8 measurements").count() == 1
    page.screenshot(path=str(tmp_path / "benchmarks.png"))


def test_walk_a_model_search_select_and_share_the_link(server_url: str, page) -> None:
    """ResNet-style sample: readable labels, open two submodules, search, select a node (its source line lights
    up), then reload the page's URL in a fresh tab and get the same view. Screenshots go to test-artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server_url}/?sample=resnet_style.py")
    page.wait_for_selector("svg g.node", timeout=90_000)
    label = page.locator("svg g.node text").first.bounding_box()
    assert label is not None and label["height"] >= 10, label  # legible at the default zoom on 1400x900
    page.screenshot(path=str(ARTIFACTS / "1-opened.png"))

    page.locator("svg g.node", has_text="layer1.forward()").dblclick()
    page.get_by_role("button", name="layer1 · Sequential").wait_for(timeout=30_000)
    page.locator("svg g.node", has_text="0.forward()").first.dblclick()
    page.get_by_role("button", name="0 · BasicBlock").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "2-submodule.png"))

    page.get_by_placeholder("conv2d · L20 · layer1 · x.1").fill("conv")
    page.keyboard.press("Enter")
    page.get_by_text("2 matches for “conv”").wait_for(timeout=30_000)
    assert page.locator("svg g.node.tsviz-match").count() == 2
    page.screenshot(path=str(ARTIFACTS / "3-search.png"))

    page.locator("svg g.node", has_text="aten::relu").first.click()
    page.locator(".tsviz-code div.hl", has_text="out = torch.relu(self.bn1(self.conv1(x)))").wait_for(timeout=30_000)
    assert page.locator("svg g.node.tsviz-selected").count() == 1
    page.screenshot(path=str(ARTIFACTS / "4-selected.png"))

    again = page.context.browser.new_page(viewport={"width": 1400, "height": 900})
    again.goto(page.url)
    again.wait_for_selector("svg g.node.tsviz-selected", timeout=90_000)
    assert again.get_by_role("button", name="0 · BasicBlock").count() == 1
    assert again.locator("svg g.node.tsviz-match").count() == 2
    again.screenshot(path=str(ARTIFACTS / "5-permalink.png"))


def test_download_the_report_and_open_it_offline(server_url: str, page, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server_url}/?sample=loop_over_dim.py")
    page.wait_for_selector("svg g.node", timeout=90_000)
    page.get_by_role("button", name="Report").click()
    with page.expect_download(timeout=90_000) as download:
        page.get_by_role("button", name="report.html").click()
    saved = tmp_path / "report.html"
    download.value.save_as(saved)
    offline = page.context.browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
    report = offline.new_page()
    fetched = []
    report.on("request", lambda r: fetched.append(r.url))
    report.goto(saved.as_uri())
    report.wait_for_selector(".graph svg g.node", timeout=30_000)
    assert report.get_by_text("trace differs from eager on inputs").count() == 1
    assert [url for url in fetched if not url.startswith("file:")] == []
    report.screenshot(path=str(ARTIFACTS / "6-report-offline.png"), full_page=True)
    offline.close()


NESTED = """import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x):
        return self.block(x) + 1


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        y = torch.sigmoid(self.fc(x))
        return y * 2
"""


def test_walk_an_uploaded_model(server_url: str, page, tmp_path: Path) -> None:
    """An uploaded .py walks like a sample: open its submodule, search, select a node, see its source line."""
    upload(page, server_url, tmp_path / "nested.py", NESTED)
    page.get_by_text("nested.py · Net · script").wait_for(timeout=90_000)
    label = page.locator("svg g.node text").first.bounding_box()
    assert label is not None and label["height"] >= 10
    page.locator("svg g.node", has_text="block.forward()").dblclick()
    page.get_by_role("button", name="block · Block").wait_for(timeout=30_000)
    page.get_by_placeholder("conv2d · L20 · layer1 · x.1").fill("sigmoid")
    page.keyboard.press("Enter")
    page.get_by_text("1 match for “sigmoid”").wait_for(timeout=30_000)
    page.locator("svg g.node", has_text="aten::sigmoid").first.click()
    page.locator(".tsviz-code div.hl", has_text="y = torch.sigmoid(self.fc(x))").wait_for(timeout=30_000)
    assert "upload=" in page.url and "nested" not in page.url  # the link names the upload by hash only
    page.screenshot(path=str(ARTIFACTS / "7-upload-walk.png"))


def test_passes_archive_and_export_pages_as_a_person_uses_them(server_url: str, page) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server_url}/Passes?sample=resnet_style.py")
    page.get_by_text("freeze: 20 conv+bn folded").first.wait_for(timeout=120_000)
    after = page.locator(".tsviz-graph").nth(1)
    after.evaluate("e => e.scrollIntoView({block: 'end'})")
    after.locator("g.node", has_text="aten::max_pool2d").first.click()
    page.locator("[data-testid=stMarkdown] code", has_text="aten::max_pool2d").wait_for(timeout=60_000)  # its details
    page.screenshot(path=str(ARTIFACTS / "8-passes-freeze.png"))

    page.goto(f"{server_url}/Archive?sample=feed_forward.py")
    page.get_by_text("Look inside a module").wait_for(timeout=120_000)
    page.get_by_text("# ← feed_forward.py line").first.wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "9-archive.png"))

    page.goto(f"{server_url}/Export_check?sample=data_dependent_if.py")
    page.get_by_text("line 20 of data_dependent_if.py").wait_for(timeout=120_000)
    assert page.get_by_text("torch.cond(pred, true_fn, false_fn").count() == 1
    page.screenshot(path=str(ARTIFACTS / "10-export-check.png"))



@pytest.mark.skipif(shutil.which("g++") is None, reason="C++ rung skipped: no g++ found (install build-essential)")
def test_the_deploy_page_runs_a_sample_in_cpp_and_offers_its_project(server_url: str, page) -> None:
    # the runner is built once per machine (tests/worker/test_deploy.py's fixture, or the page's first visit)
    page.goto(f"{server_url}/Deploy?sample=feed_forward.py")
    table = page.locator('[data-testid="stDataFrame"]').filter(has_text="LibTorch (C++)")
    table.wait_for(timeout=300_000)
    download = page.locator('[data-testid="stDownloadButton"]').filter(has_text="feed_forward.script_cpp.zip")
    download.wait_for(timeout=60_000)
    text = table.text_content() or ""  # a failed C++ rung says why in its row: "in C++: ...", "C++ rung skipped: ..."
    assert "LibTorch (C++)" in text and "C++:" not in text and "skipped" not in text, text
    page.screenshot(path=str(ARTIFACTS / "11-deploy.png"), full_page=True)
    assert page.get_by_text("Page not found").count() == 0

# ---- untrusted text and a server without a sandbox ------------------------------------------------------------

HOSTILE_DOC = ('"""Click [here](javascript:alert(1)) or www.evil.example, see ![pixel](http://evil.example/p.png),\n'
               ':red[alarm] and :material/warning: and $x^2$ and **loud**."""\nimport torch\nfrom torch import nn\n\n\n'
               'class Doubler(nn.Module):\n    def forward(self, x):\n        return x * 2\n')


def no_links_or_images_from(page) -> None:
    """No link leads to javascript: or to the hostile text's host, and no image comes from there (the page's own
    heading anchors carry the current URL, search text and all, in their query string: that is not a link)."""
    found = page.evaluate("""() => [
        ...[...document.querySelectorAll('a')].map(a => new URL(a.href, location.href)),
        ...[...document.querySelectorAll('img')].map(i => new URL(i.src, location.href)),
    ].map(u => u.protocol + '//' + u.hostname)""")
    assert not [url for url in found if url.startswith("javascript") or "evil" in url], found


def test_markdown_in_an_uploaded_docstring_and_in_the_link_is_shown_as_text(server_url: str, page,
                                                                             tmp_path: Path) -> None:
    upload(page, server_url, tmp_path / "lesson.py", HOSTILE_DOC)
    page.get_by_text("The lesson of this model").click()
    lesson = page.get_by_test_id("stExpanderDetails")
    lesson.get_by_text("Click [here](javascript:alert(1)) or www.evil.example").wait_for(timeout=90_000)
    lesson.get_by_text(":red[alarm] and :material/warning: and $x^2$ and **loud**.").wait_for()
    no_links_or_images_from(page)
    page.screenshot(path=str(ARTIFACTS / "11-hostile-docstring.png"))

    page.goto(f"{server_url}/?sample=feed_forward.py&q=[x](javascript:alert(1))%20![i](http://evil.example/q.png)")
    page.get_by_text("for “[x](javascript:alert(1)) ![i](http://evil.example/q.png)”").wait_for(timeout=90_000)
    no_links_or_images_from(page)


def reachable_address() -> str | None:
    """This machine's address on its network (not loopback), or None where it has none."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_without_a_sandbox_only_this_machine_may_upload(page, tmp_path: Path) -> None:
    """The probe fails (as on a machine without bubblewrap): a browser from another address is told why and gets
    no uploader, but samples work for it; a browser on the server's own machine may still upload."""
    address = reachable_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to browse from")
    with running_app(address="0.0.0.0", env={"TSVIZ_NO_SANDBOX": "1"}) as (local_url, _process):
        remote_url = local_url.replace("127.0.0.1", address)
        page.goto(remote_url)
        page.wait_for_selector("svg g.node", timeout=90_000)  # the default sample, for everyone
        page.get_by_text("Upload a file").click()
        page.get_by_text("This server cannot sandbox uploads").wait_for(timeout=30_000)
        page.get_by_text("Uploads are off for browsers on other machines").wait_for()
        assert page.locator("input[type=file]").count() == 0
        page.screenshot(path=str(ARTIFACTS / "12-no-sandbox-remote.png"))

        upload(page, local_url, tmp_path / "doubler.py", UPLOAD)
        page.get_by_text("doubler.py · Doubler · script").wait_for(timeout=90_000)
        assert page.get_by_text("NOT sandboxed").count() >= 1  # the sidebar says so


def test_walk_the_migration_ladder_on_an_archive(server_url: str, page, tmp_path: Path) -> None:
    """Upload a scripted archive, open Migrate: the checklist says TS2EPConverter converted it and its outputs
    match; the archive's prim::If and the program's cond are drawn side by side; the .pt2 downloads and reloads."""
    import torch
    from support.samples import archive_bytes, inspect_sample

    archive = tmp_path / "gate.pt"
    archive.write_bytes(archive_bytes(inspect_sample("data_dependent_if.py", "script")))
    upload_file(page, server_url, archive)
    page.get_by_text("gate.pt · forward · archive").wait_for(timeout=90_000)
    page.get_by_role("link", name="Migrate").click()
    page.get_by_text("Converts with TS2EPConverter").wait_for(timeout=120_000)
    page.get_by_text("TorchScript next to converted by TS2EPConverter").wait_for()
    graphs = page.locator(".tsviz-graph")
    graphs.nth(1).locator("g.node", has_text="higher_order::cond").wait_for(timeout=60_000)
    assert graphs.nth(0).locator("g.node", has_text="prim::If").count() == 1
    assert graphs.nth(1).locator("g.cluster").count() >= 3  # the cond region and its two branches
    page.screenshot(path=str(ARTIFACTS / "13-migrate-archive.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="gate.pt2").click()
    saved = tmp_path / "gate.pt2"
    download.value.save_as(saved)
    program = torch.export.load(str(saved)).module()
    x = torch.randn(2, 8)
    torch.testing.assert_close(program(x), torch.jit.load(str(archive))(x))


def test_tsviz_file_opens_the_dashboard_on_a_local_file(page, tmp_path: Path) -> None:
    """`tsviz FILE --no-browser` serves the file itself: the sidebar says "local file", the graph is drawn by a
    sandboxed worker that reads the file where it lies (mounted read-only), and nothing was uploaded."""
    with running_app(local_file=str(ROOT / "sample_models" / "resnet_style.py")) as (url, _process):
        page.goto(url)
        page.get_by_text("resnet_style.py · model() · script").wait_for(timeout=120_000)
        page.wait_for_selector("svg g.node", timeout=60_000)
        assert page.get_by_text("read where it lies, not uploaded").count() == 1
        assert "local=1" in page.url
        page.screenshot(path=str(ARTIFACTS / "14-local-file.png"))


def ace_set(page, text: str) -> None:
    """Replace the editor's text (Ace, in its component frame) and press Ctrl+Enter, as a person applies it."""
    frame = page.frame_locator("iframe[title='streamlit_ace.streamlit_ace']")
    frame.locator(".ace_content").wait_for(timeout=60_000)
    frame.get_by_role("button").wait_for(timeout=60_000)  # its Apply button: the component is up
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=120_000)
    frame.locator(".ace_editor").evaluate("(e, t) => { e.env.editor.setValue(t, 1); e.env.editor.focus(); }", text)
    page.keyboard.press("Control+Enter")


def test_edit_a_sample_in_place_and_watch_the_trace_follow(server_url: str, page) -> None:
    """len_vs_shape, traced: `n = len(x)` bakes the batch size (a TracerWarning on line 17; the graph divides by
    a constant 4). Edited in the browser to `n = x.shape[0]`, the warning goes and the graph reads the size
    (aten::size); reverted, both come back. No upload; nothing on the page asks the network for anything."""
    outside = []

    def guard(route) -> None:
        if not route.request.url.startswith(server_url):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.goto(f"{server_url}/?sample=len_vs_shape.py&mode=trace")
    page.get_by_text("TracerWarning").first.wait_for(timeout=90_000)
    page.wait_for_selector("svg g.node", timeout=60_000)
    assert page.locator("svg g.node", has_text="aten::size").count() == 0  # the batch size is a constant: 4
    page.get_by_text("Edit a copy").click()
    original = (ROOT / "sample_models" / "len_vs_shape.py").read_text()
    ace_set(page, original.replace("n = len(x)", "n = x.shape[0]"))
    page.get_by_text("Showing your edited copy").wait_for(timeout=240_000)  # behind the views made ahead, as above
    page.locator("svg g.node", has_text="aten::size").first.wait_for(timeout=90_000)  # the new graph
    page.wait_for_function("() => ![...document.querySelectorAll('[data-testid=stAlert]')]"
                           ".some(e => e.innerText.includes('TracerWarning'))", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "15-edited.png"))

    page.get_by_role("button", name="Revert").click()  # back to the file: the warning returns
    page.get_by_text("TracerWarning").first.wait_for(timeout=90_000)
    page.get_by_text("Showing your edited copy").wait_for(state="detached", timeout=60_000)
    page.wait_for_function("() => ![...document.querySelectorAll('svg g.node')]"
                           ".some(g => g.textContent.includes('aten::size'))", timeout=60_000)
    assert outside == [], outside


def test_an_edit_that_does_not_compile_keeps_the_last_graph_greyed(server_url: str, page) -> None:
    page.goto(f"{server_url}/?sample=feed_forward.py")
    page.wait_for_selector("svg g.node", timeout=90_000)
    page.get_by_text("Edit a copy").click()
    original = (ROOT / "sample_models" / "feed_forward.py").read_text()
    broken = original.replace("def forward(self, x", "def forward(self x", 1)
    ace_set(page, broken)
    page.get_by_text("syntax error").first.wait_for(timeout=90_000)
    page.get_by_text("The last version that converted, greyed out").wait_for(timeout=30_000)
    assert page.get_by_text("feed_forward.py, around line 19").count() == 1  # the edited line, in context
    assert page.get_by_text("fix the line in the editor above and press Ctrl+Enter").count() == 1
    page.locator(".st-key-stale_graph img").wait_for(timeout=30_000)  # the last graph, greyed
    page.get_by_text("The last version that converted, greyed out").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "16-edit-error.png"))
    ace_set(page, original)
    page.get_by_text("The last version that converted, greyed out").wait_for(state="detached", timeout=90_000)


def test_upload_a_projects_zip_and_see_its_model_with_the_package_imported(server_url: str, page,
                                                                          tmp_path: Path) -> None:
    """A reviewer zips the repository's folder and uploads it: the model file is picked, its relative imports and
    the package's own config resolve in the sandbox, and the page says which files the import ran."""
    import zipfile

    root = ROOT / "tests" / "corpus" / "segmenter_repo"
    archive = tmp_path / "segmenter.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                z.write(path, path.relative_to(root).as_posix())
    upload_file(page, server_url, archive)
    page.get_by_text("segnet/model.py · SegNet · script").wait_for(timeout=120_000)
    page.wait_for_selector("svg g.node", timeout=60_000)
    page.get_by_text("Imported with 3 more files of its project").click()
    page.get_by_text("segnet/parts.py").wait_for(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "15-project-zip.png"))


def test_tsviz_file_on_a_model_inside_its_repository_imports_its_package(page) -> None:
    with running_app(local_file=str(ROOT / "tests/corpus/segmenter_repo/segnet/model.py")) as (url, _process):
        page.goto(url)
        page.get_by_text("model.py · SegNet · script").wait_for(timeout=120_000)
        page.wait_for_selector("svg g.node", timeout=60_000)
        assert page.get_by_text("Imported with 3 more files of its project").count() == 1


def test_an_old_export_check_link_opens_migrate_without_page_not_found(server_url: str, page) -> None:
    # watched from before the page's own scripts: Streamlit's "Page not found" notice, even for a moment
    page.add_init_script("""window.__notFound = false; new MutationObserver(() => {
        if (document.body && /Page not found/i.test(document.body.innerText)) window.__notFound = true;
    }).observe(document, {childList: true, subtree: true, characterData: true});""")
    page.goto(f"{server_url}/Export_check?sample=data_dependent_if.py")
    page.get_by_text("Migrate off TorchScript · data_dependent_if.py").wait_for(timeout=120_000)
    assert "/Migrate?" in page.url and "sample=data_dependent_if.py" in page.url
    assert page.evaluate("window.__notFound") is False
