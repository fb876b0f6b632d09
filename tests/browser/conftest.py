"""The web interface in a real browser: Debian's Chromium driven by Playwright (nothing downloaded).

Each test gets a fresh ledger made with the `ledger` command line (Ada the administrator, Carol the case officer
of NCA holding exhibit EV-1 under seal S-1, Bob a custodian of NCA, Olga of BKA outside the case) and a `ledger
serve` on a free loopback port serving the web interface from Sources/LedgerWeb/app.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LEDGER_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def ledger_binary():
    given = os.environ.get("LEDGER")
    if given:
        return str(Path(given).resolve())
    bin_path = subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    return str(Path(bin_path) / "ledger")


LEDGER = ledger_binary()


class Ledger:
    """A ledger in a temporary folder, and the `ledger` command run in it."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def run(self, *arguments, check=True):
        result = subprocess.run(
            [LEDGER, *arguments], cwd=self.folder, capture_output=True, text=True,
            env={**os.environ, "LEDGER_PATH": "custody.ledger"},
        )
        if check and result.returncode != 0:
            raise AssertionError(f"ledger {' '.join(arguments)}: {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def add_person(self, person, name, agency, roles, passphrase=None):
        extra = []
        if passphrase:
            (self.folder / f"{person}.pass").write_text(passphrase + "\n")
            extra = ["--passphrase-file", f"{person}.pass"]
        self.run("key", "generate", "--out", f"{person}.pem", "--name", name, "--person", person, "--agency", agency,
                 "--request-out", f"{person}.json", *extra)
        self.run("key", "register", f"{person}.json", "--roles", roles, "--key", "admin.pem")

    def path(self, name):
        return str(self.folder / name)


@pytest.fixture
def ledger():
    folder = tempfile.mkdtemp(prefix="ledger-web-")
    book = Ledger(folder)
    created = json.loads(book.run("init", "--origin", "ledger.test.example/web", "--name", "Ada Admin", "--person",
                                  "ada", "--agency", "NCA", "--json").stdout)
    book.log_vkey = created["log_vkey"]
    book.add_person("carol", "Carol Visser", "NCA", "case-officer,custodian")
    book.add_person("bob", "Bob Baker", "NCA", "custodian")
    book.add_person("olga", "Olga Otto", "BKA", "custodian")
    book.run("case", "open", "OP-1", "--title", "Operation One", "--legal-basis", "JIT 1", "--agency", "NCA",
             "--key", "carol.pem")
    book.run("item", "seize", "EV-1", "--case", "OP-1", "--exhibit", "C/1", "--kind", "laptop", "--description",
             "Grey laptop", "--seal", "S-1", "--location", "Room B", "--from", "Flat 3", "--authority", "W 7",
             "--key", "carol.pem")
    yield book
    shutil.rmtree(folder, ignore_errors=True)


class Server:
    def __init__(self, process, url):
        self.process = process
        self.url = url


def start_server(ledger, *extra):
    """`ledger serve` on a free loopback port over the ledger, serving the repository's web files."""
    process = subprocess.Popen(
        [LEDGER, "serve", "--ledger", "custody.ledger", "--listen", "127.0.0.1:0", "--json",
         "--web-root", str(ROOT / "Sources/LedgerWeb/app"), *extra],
        cwd=ledger.folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline()
    if not line:
        raise AssertionError(f"ledger serve did not start: {process.stderr.read()}")
    return Server(process, json.loads(line)["url"])


def stop_server(server):
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture
def server(ledger):
    running = start_server(ledger)
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield browser
    browser.close()


def open_page(browser, server, **options):
    """A new browser context (a person at their own desk) with one page on the server."""
    options.setdefault("viewport", {"width": 1280, "height": 800})
    context = browser.new_context(**options)
    page = context.new_page()
    page.on("pageerror", lambda error: print(f"page error: {error}"))
    page.goto(server.url + "/")
    return context, page


def use_key_file(page, path, passphrase=None):
    """Signs in with a key file, as an officer given one by `ledger key generate`."""
    page.goto(page.url.split("#")[0] + "#/key")
    page.get_by_role("heading", name="Use my key file").wait_for()
    page.locator("input[name=keyfile]").set_input_files(path)
    if passphrase:
        page.locator("input[name=passphrase]").fill(passphrase)
    page.get_by_role("button", name="Use this key").click()
    done = page.get_by_role("heading", name="My work", exact=False).or_(page.locator(".notice.error, .notice.warning"))
    done.first.wait_for()
    if not page.get_by_role("heading", name="My work", exact=False).is_visible():
        raise AssertionError(f"signing in with {path} failed: {page.locator('main').inner_text()}")
