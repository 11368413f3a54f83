"""`pitwall fetch` against a real Apache httpd (mod_autoindex) serving a copy of the repo's raw/ under
/Results/ on 127.0.0.1 (tests/apache_site.py): first mirror, nothing new, a re-posted mark, a
replaced file, server errors on single files, and a listing whose links lead out of the site."""

from __future__ import annotations

import filecmp
import os
import shutil
import time
from pathlib import Path

import pytest
from apache_site import ApacheSite, available
from helpers import RAW, REPO
from typer.testing import CliRunner

from orchestration.fetch import STATE_FILE, FetchOptions, fetch

pytestmark = [pytest.mark.integration, pytest.mark.skipif(available() is not None, reason=available() or "")]

JSON_FIXTURES = REPO / "tests" / "fixtures" / "alkamel-json"
ROAD_AMERICA_RACE = "24_2024/14_Road America/01_IMSA WeatherTech SportsCar Championship/202408041410_Race"
AN_HOUR_AGO = time.time() - 3600


def data_files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in (".csv", ".json") and not p.name.startswith(".")
    }


def backdate(root: Path) -> None:
    """Files on the real site are hours or years old: the listing's dates then say everything."""
    for path in root.rglob("*"):
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO), follow_symlinks=False)


def options(site: ApacheSite, **overrides) -> FetchOptions:
    return FetchOptions(**{"site": site.url, "seasons": None, "pause": 0, "backoff": 0, **overrides})


def file_requests(site: ApacheSite, since: int = 0) -> list[str]:
    """The access log's requests for files (not folder pages) from line `since` on."""
    return [line for line in site.requests()[since:] if not line.split(" ")[1].endswith("/")]


@pytest.fixture
def site():
    server = ApacheSite(
        # One file answers 500 on every request (the rest of its folder is served as usual).
        extra_config='RedirectMatch 500 "^/Results/.*/BROKEN_[^/]*$"\n'
    )
    for season in ("23_2023", "24_2024"):
        server.publish(RAW / season)
    server.publish(RAW / "README.md")
    backdate(server.results)
    with server:
        yield server


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    return tmp_path / "raw"


def test_first_mirror_is_byte_for_byte(site: ApacheSite, mirror: Path) -> None:
    result = fetch(mirror, options(site))
    expected = data_files(site.results)
    assert len(expected) == 110
    assert result.ok, result.failed
    assert sorted(result.downloaded) == sorted(expected) and result.listed == len(expected)
    assert data_files(mirror) == expected
    for rel in expected:
        assert filecmp.cmp(site.results / rel, mirror / rel, shallow=False), rel
    assert result.bytes == sum((mirror / rel).stat().st_size for rel in expected)
    umask = os.umask(0o022)
    os.umask(umask)
    assert {(mirror / rel).stat().st_mode & 0o777 for rel in expected} == {0o666 & ~umask}  # as if copied in
    # Only data files: no README or notes, no temporary files left; the state file is hidden.
    assert {p.relative_to(mirror).as_posix() for p in mirror.rglob("*") if p.is_file()} - expected == {
        STATE_FILE,
        ".pitwall-fetch.lock",
    }


def test_second_run_downloads_nothing(site: ApacheSite, mirror: Path) -> None:
    fetch(mirror, options(site))
    before = {rel: (mirror / rel).stat().st_mtime_ns for rel in data_files(mirror)}
    seen = len(site.requests())
    again = fetch(mirror, options(site))
    assert again.ok and again.downloaded == [] and again.unchanged == 110 and again.bytes == 0
    assert file_requests(site, seen) == []  # the listings said it all: no file was asked for
    assert {rel: (mirror / rel).stat().st_mtime_ns for rel in data_files(mirror)} == before


def test_filters(site: ApacheSite, mirror: Path) -> None:
    result = fetch(mirror, options(site, events=("road america",), series=("weathertech",)))
    assert result.ok and result.listed == 12
    assert {p.split("/")[2] for p in result.downloaded} == {"01_IMSA WeatherTech SportsCar Championship"}
    pccna = fetch(mirror, options(site, seasons=(2023,), series=("carrera", "pccna")))
    assert pccna.ok and pccna.listed == len(data_files(site.results / "23_2023"))


def test_reposted_mark(site: ApacheSite, mirror: Path) -> None:
    race = site.results / ROAD_AMERICA_RACE
    provisional = site.publish(
        JSON_FIXTURES / "imsa-weathertech-2026-watkins-glen-race-results.json",
        f"{ROAD_AMERICA_RACE}/03_Results_Race_Provisional.JSON",
    )
    backdate(race)
    first = fetch(mirror, options(site))
    assert first.ok and f"{ROAD_AMERICA_RACE}/03_Results_Race_Provisional.JSON" in first.downloaded

    official = race / "03_Results_Race_Official.JSON"
    official.write_bytes(provisional.read_bytes().replace(b'"Provisional"', b'"Official"'))
    site.open_up()
    seen = len(site.requests())
    second = fetch(mirror, options(site))
    assert second.ok and second.downloaded == [f"{ROAD_AMERICA_RACE}/03_Results_Race_Official.JSON"]
    assert filecmp.cmp(official, mirror / ROAD_AMERICA_RACE / official.name, shallow=False)
    assert filecmp.cmp(provisional, mirror / ROAD_AMERICA_RACE / provisional.name, shallow=False)
    assert [line.split(" ")[1].rsplit("/", 1)[1] for line in file_requests(site, seen)] == [
        "03_Results_Race_Official.JSON"
    ]


def test_replaced_file(site: ApacheSite, mirror: Path) -> None:
    rel = f"{ROAD_AMERICA_RACE}/03_Results_Race_Official.CSV"
    fetch(mirror, options(site))
    inode = (mirror / rel).stat().st_ino

    # Replaced on the site with new bytes: the listing shows a new date.
    on_site = site.results / rel
    on_site.write_bytes(on_site.read_bytes().replace(b"Classified", b"Classifiad", 1))
    replaced = fetch(mirror, options(site))
    assert replaced.ok and replaced.downloaded == [rel]
    assert filecmp.cmp(on_site, mirror / rel, shallow=False)
    assert (mirror / rel).stat().st_ino != inode  # renamed into place, not written over
    assert not [p for p in (mirror / ROAD_AMERICA_RACE).iterdir() if p.name.startswith(".")]

    # Replaced again within the same minute with as many bytes: the listing shows the same date and
    # size, but the file was fresh when downloaded, so it is asked for again (conditionally).
    on_site.write_bytes(on_site.read_bytes().replace(b"Classifiad", b"Classifixd", 1))
    again = fetch(mirror, options(site))
    assert again.ok and again.downloaded == [rel]
    assert filecmp.cmp(on_site, mirror / rel, shallow=False)
    unchanged = fetch(mirror, options(site))
    assert unchanged.ok and unchanged.downloaded == [] and unchanged.unchanged == 110


def test_server_errors_do_not_stop_the_rest(site: ApacheSite, mirror: Path) -> None:
    race = site.results / ROAD_AMERICA_RACE
    shutil.copyfile(race / "03_Results_Race_Official.CSV", race / "BROKEN_Results_Race.CSV")  # 500
    locked = race / "26_Weather_Race.CSV"
    site.open_up()
    if os.geteuid() == 0:
        locked.chmod(0o000)  # Apache's workers run as nobody: 403
    else:
        pytest.skip("a file without read permission is only unreadable to Apache's workers when they are another user")
    seen = len(site.requests())
    result = fetch(mirror, options(site, retries=2))
    failed = {f.path.rsplit("/", 1)[1]: f.reason for f in result.failed}
    assert failed == {
        "BROKEN_Results_Race.CSV": "HTTP 500 Internal Server Error (after 3 attempts)",
        "26_Weather_Race.CSV": "HTTP 403 Forbidden",
    }
    assert len(result.downloaded) == 111 - 2
    assert not (mirror / ROAD_AMERICA_RACE / "BROKEN_Results_Race.CSV").exists()
    broken = [line for line in site.requests()[seen:] if "BROKEN_" in line]
    assert len(broken) == 3 and all(" 500 " in line for line in broken)  # asked again twice, then given up

    # The command line: one line per failure, the summary, exit code 1.
    from orchestration.cli import app

    out = CliRunner().invoke(
        app, ["fetch", "--site", site.url, "--raw", str(mirror), "--season", "all", "--pause", "0", "--retries", "0"]
    )
    assert out.exit_code == 1, out.output
    assert "failed: 24_2024/14_Road America" in out.output and "HTTP 403 Forbidden" in out.output
    assert "111 data files listed" in out.output and "0 downloaded" in out.output and "2 failed" in out.output


def test_listing_with_links_out_of_the_site(site: ApacheSite, mirror: Path, tmp_path: Path) -> None:
    # A static page served as the folder's listing (mod_dir's index.html), linking everywhere.
    folder = site.results / "24_2024" / "99_Rogue Event"
    folder.mkdir()
    (folder / "ok.CSV").write_bytes(b"POSITION;NUMBER;\r\n1;7;\r\n")
    (folder / "index.html").write_text(
        """<html><body><h1>Index of /Results/24_2024/99_Rogue Event</h1><ul>
        <li><a href="http://example.com/Results/24_2024/x.CSV">elsewhere</a></li>
        <li><a href="../../../etc/passwd.csv">up and out</a></li>
        <li><a href="/Other/x.CSV">beside the site</a></li>
        <li><a href="../14_Road%20America/">a sibling event</a></li>
        <li><a href="%2e%2e/%2e%2e/escape.CSV">encoded dots</a></li>
        <li><a href="a%2F..%2F..%2Fescape.CSV">encoded slash</a></li>
        <li><a href=".pitwall-fetch.json">our state file</a></li>
        <li><a href="ok.CSV">ok.CSV</a></li>
        </ul></body></html>"""
    )
    site.open_up()
    seen = len(site.requests())
    result = fetch(mirror, options(site, events=("rogue",)))
    assert result.downloaded == ["24_2024/99_Rogue Event/ok.CSV"]
    assert len(result.failed) == 7 and all("link refused" in f.reason for f in result.failed)
    assert file_requests(site, seen) == ["GET /Results/24_2024/99_Rogue%20Event/ok.CSV HTTP/1.1 200 24"]
    assert data_files(mirror) == {"24_2024/99_Rogue Event/ok.CSV"}
    assert not (tmp_path / "escape.CSV").exists() and not (mirror / "escape.CSV").exists()


def test_a_symbolic_link_in_the_raw_root_is_not_followed(site: ApacheSite, mirror: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    mirror.mkdir()
    (mirror / "23_2023").symlink_to(elsewhere, target_is_directory=True)
    result = fetch(mirror, options(site))
    assert len(result.failed) == len(data_files(site.results / "23_2023"))
    assert all("symbolic link" in f.reason for f in result.failed)
    assert list(elsewhere.iterdir()) == []
    assert len(result.downloaded) == len(data_files(site.results / "24_2024"))
