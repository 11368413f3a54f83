"""The Dagster UI as users see it: `pitwall ui` started here, driven in headless Chromium.

Debian's `chromium` and its own `chromium-driver` (`make test` installs both when missing; nothing
is downloaded at run time), through Selenium. The UI runs on a free port of 127.0.0.1 with a
temporary DAGSTER_HOME, warehouse and raw root (the real IMSA 2024 files plus one damaged file),
and with PITWALL_AUTOMATION=off: the raw-root sensor would otherwise start a refresh of its own as
the UI comes up, and the test would wait for two full runs instead of one (the run queue allows
one run at a time, so the two would not collide, they would only take twice as long).

Screenshots go to tests/artifacts/ui/ (git-ignored). PITWALL_UI_DOCS=1 also writes the asset graph
to docs/images/asset-graph.png, the README's picture.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import RAW, REPO, ROAD_AMERICA_IMSA, copy_real_imsa

pytestmark = [pytest.mark.ui, pytest.mark.timeout(900)]

PITWALL = Path(sys.executable).with_name("pitwall")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1920,1080",
]
ARTIFACTS = REPO / "tests" / "artifacts" / "ui"
DOCS_IMAGE = REPO / "docs" / "images" / "asset-graph.png"
RACE = ROAD_AMERICA_IMSA / "202408041410_Race"
BAD_FILE = "03_Results_Race_Amended.CSV"  # a results file with 'fast' in its LAPS column

# A loaded 2-core machine needs minutes for what takes seconds on an idle one: generous limits.
STARTUP_S = 300
RUN_S = 600
STOP_S = 45


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every process below pid (from /proc: Linux, as the Debian browser)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has exited


def wait_for(predicate: Callable[[], object], timeout: float, what: str, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class UI:
    url: str
    process: subprocess.Popen
    log: Path
    dagster_home: Path
    warehouse: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def runs(self) -> list[dict]:
        """The instance's runs, newest first, from the webserver's GraphQL API."""
        query = "{ runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }"
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            results = json.load(response)["data"]["runsOrError"]["results"]
        for run in results:
            run["tags"] = {t["key"]: t["value"] for t in run["tags"]}
        return results


def make_raw(root: Path) -> Path:
    raw = copy_real_imsa(root / "raw")
    good = (RACE / "03_Results_Race_Official.CSV").read_bytes().decode("utf-8-sig")
    lines = good.split("\r\n")
    cells = lines[3].split(";")
    cells[3] = "fast"  # LAPS of the third car
    lines[3] = ";".join(cells)
    (raw / RACE.relative_to(RAW) / BAD_FILE).write_bytes("\r\n".join(lines).encode())
    return raw


@pytest.fixture(scope="module")
def ui(tmp_path_factory) -> Iterator[UI]:
    root = tmp_path_factory.mktemp("ui")
    raw = make_raw(root)
    home = root / "dagster_home"
    warehouse = root / "warehouse" / "pitwall.duckdb"
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PITWALL_RAW_DIR": str(raw),
        "PITWALL_WAREHOUSE": str(warehouse),
        "PITWALL_AUTOMATION": "off",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "pitwall-ui.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(PITWALL), "ui", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = UI(f"http://127.0.0.1:{port}", process, log, home, warehouse)

    def serving() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"pitwall ui exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/server_info", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(serving, STARTUP_S, "the UI's /server_info", every=2)
        yield server
    finally:
        if process.poll() is None:  # the test failed before stopping it: stop it here, group and all
            tree = descendants(process.pid)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            for pid in tree:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = f"{CHROMIUM} and {CHROMEDRIVER} are needed (Debian: apt-get install chromium chromium-driver; make test does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    # The driver path given: Selenium Manager (which would look for drivers online) is not used.
    service = Service(str(CHROMEDRIVER), log_output=str(ARTIFACTS / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


# ----------------------------------------------------------------------------------------- helpers


def xpath_text(text: str) -> str:
    return f"//*[normalize-space(text())={text!r}]"


def dismiss_dialogs(driver) -> None:
    """The first visit's "Join the Dagster community" dialog: Skip."""
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        try:
            button.click()
        except Exception:  # gone meanwhile
            pass


def visible(driver, xpath: str, timeout: float = 120):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    def find(d):
        dismiss_dialogs(d)
        return EC.visibility_of_element_located((By.XPATH, xpath))(d)

    return WebDriverWait(driver, timeout, poll_frequency=1).until(find, f"nothing visible at {xpath}")


def page_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def shot(driver, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


# ------------------------------------------------------------------------------------------- test


def test_the_ui_refreshes_the_warehouse_and_shows_what_was_set_aside(ui: UI, browser) -> None:
    try:
        walk_through(ui, browser)
    except BaseException:
        shot(browser, "failure")  # what the browser showed when it went wrong
        (ARTIFACTS / "failure.html").write_text(browser.page_source)
        raise


def walk_through(ui: UI, browser) -> None:
    from selenium.webdriver.common.by import By

    timings: dict[str, float] = {}
    started = time.monotonic()

    # 1. The asset graph: the groups, left to right.
    browser.get(f"{ui.url}/asset-groups")
    for group in ("raw", "reference", "staging", "core", "season", "quality", "published"):
        visible(browser, f"//div[@data-tooltip='{group}']", STARTUP_S)  # the group's box in the graph
    time.sleep(2)  # the graph's edges settle
    shot(browser, "01-asset-graph")
    timings["asset graph"] = time.monotonic() - started

    # 2. Launch refresh_warehouse from its job page: "Materialize all".
    browser.get(f"{ui.url}/locations/pitwall/jobs/refresh_warehouse")
    visible(browser, xpath_text("refresh_warehouse"))
    button = visible(browser, "//button[.//span[normalize-space()='Materialize all']]")
    assert not ui.runs(), "a run started before the test launched one (is the sensor off?)"
    button.click()
    run = wait_for(lambda: next(iter(ui.runs()), None), 120, "the run launched from the UI")
    assert run["jobName"] == "refresh_warehouse"
    assert run["tags"].get("dagster/from_ui") == "true"
    shot(browser, "02-launched")
    timings["launch"] = time.monotonic() - started

    # While it runs: reloading one event is `reload_files` with its prefix, in the job's launchpad.
    browser.get(f"{ui.url}/locations/pitwall/jobs/reload_files")
    visible(browser, "//button[.//span[normalize-space()='Materialize all']]")
    browser.find_element(
        By.XPATH, "//button[.//span[normalize-space()='Materialize all']]/following::button[1]"
    ).click()
    visible(browser, "//*[@role='menuitem'][contains(., 'Open launchpad')]").click()
    visible(browser, "//*[text()[contains(., 'reload_prefix')]]")
    time.sleep(1)
    shot(browser, "03-reload-launchpad")

    # 3. Its run page, until it succeeds.
    run_id = run["runId"]
    browser.get(f"{ui.url}/runs/{run_id}")

    def title():
        return browser.title  # "Runs | refresh_warehouse | <short id> [<STATUS>]"

    wait_for(lambda: run_id[:8] in title(), 120, f"the run page of {run_id} (title: {title()!r})")

    def finished():
        (current,) = [r for r in ui.runs() if r["runId"] == run_id]
        return current if current["status"] in ("SUCCESS", "FAILURE", "CANCELED") else None

    done = wait_for(finished, RUN_S, f"run {run_id} to finish", every=3)
    assert done["status"] == "SUCCESS", f"run {run_id}: {done['status']}\n{ui.log_tail()}"
    wait_for(lambda: "[SUCCESS]" in title(), 120, f"the run page to say SUCCESS (title: {title()!r})")
    visible(browser, "//*[normalize-space(text())='Success']", 120)  # the header's status tag
    time.sleep(2)
    shot(browser, "04-run-succeeded")
    timings["run"] = time.monotonic() - started

    # 4. What was set aside: the quarantined-files table of raw/ingested_files's latest materialization.
    browser.get(f"{ui.url}/assets/raw/ingested_files")
    visible(browser, xpath_text("quarantined_files"))
    shot(browser, "05-ingested-files")
    cell = browser.find_element(By.XPATH, f"//td[contains(., '{BAD_FILE}')]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})", cell)
    row = cell.find_element(By.XPATH, "./ancestor::tr[1]").text
    assert "LAPS 'fast' is not a valid value" in row, row
    time.sleep(1)
    shot(browser, "06-quarantine-table")

    # 5. A season aggregate: freshness expectation, checks, row count; its events: the first rows.
    browser.get(f"{ui.url}/assets/marts/season_driver_standings")
    visible(browser, xpath_text("Freshness policy"))
    visible(browser, xpath_text("Row count"))
    time.sleep(2)
    shot(browser, "07-season-standings")
    browser.get(f"{ui.url}/assets/marts/season_driver_standings?view=events")
    visible(browser, "//*[text()[contains(., 'preview')]]")
    time.sleep(2)
    shot(browser, "08-season-standings-events")
    timings["assets"] = time.monotonic() - started

    # 6. The asset graph again, every group materialized: the README's picture.
    browser.get(f"{ui.url}/asset-groups")
    for group in ("raw", "reference", "staging", "core", "season", "quality", "published"):
        visible(browser, f"//div[@data-tooltip='{group}']")
    wait_for(lambda: "fetching statuses" not in page_text(browser), 60, "the groups' statuses")
    time.sleep(2)
    graph = shot(browser, "09-asset-graph-materialized")
    if os.environ.get("PITWALL_UI_DOCS"):
        DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(graph, DOCS_IMAGE)
    (ARTIFACTS / "timings.txt").write_text("".join(f"{k}: {v:.1f} s\n" for k, v in timings.items()))
    print(timings)


def listening_sockets(port: int) -> dict[str, str]:
    """The sockets listening on a TCP port (/proc/net/tcp and tcp6): inode -> local address (hex)."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hexport = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                found[fields[9]] = address
    return found


def socket_inodes(pids) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
        except OSError:
            continue
    return inodes


def test_the_ui_listens_on_127_0_0_1_only(ui: UI) -> None:
    """The real listening socket of `pitwall ui` (as the kernel lists it), not the command line:
    bound to 127.0.0.1 (0100007F), not 0.0.0.0 nor ::, and owned by a process `pitwall ui` started."""
    port = int(ui.url.rsplit(":", 1)[1])
    sockets = listening_sockets(port)
    assert set(sockets.values()) == {"0100007F"}, sockets
    assert set(sockets) <= socket_inodes({ui.process.pid} | descendants(ui.process.pid)), sockets


def test_sigterm_to_pitwall_ui_stops_every_process_it_started(ui: UI) -> None:
    """Runs after the browser test, on the same UI (or on its own when Chromium is missing)."""
    tree = descendants(ui.process.pid)
    assert len(tree) >= 3, tree  # dagster dev, its webserver, daemon and code server
    started = time.monotonic()
    ui.process.send_signal(signal.SIGTERM)
    code = ui.process.wait(timeout=STOP_S)
    wait_for(lambda: not any(alive(p) for p in tree), 5, f"every process of {sorted(tree)} to exit", every=0.2)
    seconds = time.monotonic() - started
    assert code == 0, ui.log_tail()
    with open(ARTIFACTS / "timings.txt", "a") as out:
        out.write(f"stop after SIGTERM: {seconds:.1f} s ({len(tree)} processes)\n")
    assert seconds < STOP_S
