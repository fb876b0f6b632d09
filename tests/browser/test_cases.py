"""A case's figures in the page, and its court bundle exported by the server, downloaded and verified offline."""

import subprocess
import tarfile

from conftest import LEDGER, open_page, use_key_file


def test_a_case_shows_its_figures_and_its_bundle_downloads_and_verifies(ledger, server, browser, tmp_path):
    context, page = open_page(browser, server, accept_downloads=True)
    use_key_file(page, ledger.path("carol.pem"))
    page.get_by_role("link", name="Cases").click()
    page.get_by_role("link", name="OP-1").click()
    figures = page.get_by_test_id("figures")
    figures.wait_for()
    assert "in-custody 1" in figures.inner_text()
    page.get_by_role("button", name="Export the court bundle").click()
    with page.expect_download() as download:
        page.get_by_test_id("export").get_by_role("link", name="download bundle-OP-1.tar").click()
    archive = tmp_path / "bundle.tar"
    download.value.save_as(archive)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path, filter="data")
    checked = subprocess.run(
        [LEDGER, "verify-bundle", str(tmp_path / "bundle-OP-1"),
         "--trust-log-key", ledger.log_vkey], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Carol Visser (carol, NCA)" in (tmp_path / "bundle-OP-1/data/report/custody-report.html").read_text()
    context.close()
