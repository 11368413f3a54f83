"""The results site's directory pages, parsed: recorded pages of the real site (an Apache autoindex,
tests/fixtures/alkamel-site/), plainer listings, and links that would lead out of the site."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from orchestration.fetch import FetchOptions, in_scope, parse_listing, site_root
from orchestration.fetch.config import options_from_env, parse_seasons
from orchestration.fetch.mirror import DEFAULT_SITE, is_wanted_file

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "alkamel-site"
HOST = "https://imsa.results.alkamelcloud.com"
ROOT = HOST + "/Results/"


def recorded(name: str):
    """A recorded page parsed at the address it was recorded from (its <title>: 'Index of /Results/...')."""
    html = (PAGES / name).read_text()
    path = re.search(r"<title>Index of (.*?)</title>", html).group(1)
    return html, parse_listing(html, HOST + quote(path) + "/", ROOT)


def rows(html: str) -> int:
    """The rows of an autoindex table that name an entry (not the header, not the parent folder)."""
    return len(re.findall(r'<tr><td valign="top"><img [^>]*alt="\[(?!PARENTDIR)', html))


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.html")))
def test_every_recorded_page_gives_one_entry_per_row(name: str) -> None:
    html, listing = recorded(name)
    assert listing.refused == []
    assert len(listing.entries) == rows(html) > 0
    for entry in listing.entries:
        assert "%" not in entry.name and "?" not in entry.url
        assert entry.url.startswith(listing.url)
        assert entry.modified is not None  # every row of the site's table has a date
        assert (entry.size_text is None) == entry.is_dir


def test_root_page() -> None:
    _, listing = recorded("root.html")
    assert [e.name for e in listing.folders] == [f"{y % 100}_{y}" for y in range(2016, 2027)]
    assert all(e.parts == (e.name,) for e in listing.entries)
    (cfg,) = listing.files
    assert cfg.name == "intranetFtpNames.cfg" and cfg.size_text == "5.4K" and cfg.size_bytes == int(5.4 * 1024)
    assert listing.folders[-1].modified == datetime(2026, 9, 3, 23, 56)
    assert listing.folders[-1].modified_text == "2026-09-03 23:56"


def test_season_page_decodes_names() -> None:
    _, listing = recorded("year-2026.html")
    names = [e.name for e in listing.entries]
    assert "03_St- Petersburg Street Course (MX-5)" in names and "07_Long Beach Street Circuit" in names
    long_beach = next(e for e in listing.entries if e.name == "07_Long Beach Street Circuit")
    assert long_beach.is_dir and long_beach.parts == ("26_2026", "07_Long Beach Street Circuit")
    assert long_beach.url == ROOT + "26_2026/07_Long%20Beach%20Street%20Circuit/"


def test_session_page_files_and_subfolder() -> None:
    _, listing = recorded("session-2026-long-beach-race.html")
    grids = next(e for e in listing.entries if e.name == "00_Starting Grids")
    assert grids.is_dir and grids.parts[-2:] == ("202604181305_Race", "00_Starting Grids")
    results = next(e for e in listing.entries if e.name == "03_Results_Race_Official.JSON")
    assert not results.is_dir
    assert (results.modified_text, results.size_text, results.size_bytes) == ("2026-04-24 14:49", "52K", 52 * 1024)
    assert results.parts == (
        "26_2026",
        "07_Long Beach Street Circuit",
        "01_IMSA WeatherTech SportsCar Championship",
        "202604181305_Race",
        "03_Results_Race_Official.JSON",
    )


def test_sizes_as_the_listing_rounds_them() -> None:
    _, listing = recorded("session-2023-sebring-race.html")
    by_name = {e.name: e for e in listing.files}
    assert by_name["00_Grid_Race_Official.CSV"].size_bytes == 0  # posted empty, replaced later
    assert by_name["00_Grid_Race_Provisional.CSV"].size_text == "6.9K"
    _, points = recorded("points-data-2026-vir-official.html")
    assert next(e for e in points.files if e.name == "IWSC 11 GTD Drivers.json").size_bytes == int(2.1 * 1024**2)
    assert points.entries[0].parts[3] == "Points Data - Offiical"  # the site's spelling


def test_hour_subfolder_and_grids() -> None:
    _, hour = recorded("session-2023-sebring-race-hour12.html")
    assert all(e.parts[3:5] == ("202303181010_Race", "12_Hour 12") for e in hour.entries)
    _, grids = recorded("session-2026-long-beach-race-grids.html")
    assert "01_Starting Grid SbS_Race_Official.JSON" in [e.name for e in grids.files]


def test_sort_and_parent_links_are_skipped_silently() -> None:
    html = """<table><tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th></tr>
    <tr><td><a href="/Results/26_2026/">Parent Directory</a></td></tr>
    <tr><td><a href="/">Home</a></td></tr><tr><td><a href="./">here</a></td></tr>
    <tr><td><a href="#top">top</a></td></tr>
    <tr><td><a href="http://imsa.results.alkamelcloud.com/Results/26_2026/07_X/?C=S;O=A">sort</a></td></tr>
    <tr><td><a href="a.CSV">a.CSV</a></td><td>2026-04-24 14:49</td><td>1.0K</td></tr></table>"""
    listing = parse_listing(
        html,
        "http://imsa.results.alkamelcloud.com/Results/26_2026/07_X/",
        "http://imsa.results.alkamelcloud.com/Results/",
    )
    assert [e.name for e in listing.entries] == ["a.CSV"] and listing.refused == []


def test_nginx_listing() -> None:
    html = """<html><head><title>Index of /Results/26_2026/</title></head><body><h1>Index of /Results/26_2026/</h1><hr><pre><a href="../">../</a>
<a href="07_Long%20Beach/">07_Long Beach/</a>                                   24-Apr-2026 15:23                   -
<a href="notes.json">notes.json</a>                                      24-Apr-2026 15:24                2262
<a href="x.CSV">x.CSV</a>
</pre><hr></body></html>"""
    listing = parse_listing(html, "http://h/Results/26_2026/", "http://h/Results/")
    folder, notes, bare = listing.entries
    assert folder.is_dir and folder.name == "07_Long Beach" and folder.modified == datetime(2026, 4, 24, 15, 23)
    assert (notes.size_bytes, notes.modified_text) == (2262, "24-Apr-2026 15:24")
    assert bare.name == "x.CSV" and bare.size_bytes is None and bare.modified is None


def test_bare_list_of_links() -> None:
    html = '<ul><li><a href="a%20b.json">a b</a> (3 files)</li><li><a href="sub/">sub</a></li><li><a href="a%20b.json">again</a></li></ul>'
    listing = parse_listing(html, "http://h/Results/25_2025/", "http://h/Results")
    assert [(e.name, e.is_dir, e.size_bytes) for e in listing.entries] == [
        ("a b.json", False, None),
        ("sub", True, None),
    ]


@pytest.mark.parametrize(
    "href, reason",
    [
        ("http://elsewhere.example/Results/26_2026/x.CSV", "another site"),
        ("https://h/Results/26_2026/x.CSV", "another site"),  # another scheme: another server
        ("//elsewhere.example/x.CSV", "another site"),
        ("ftp://h/Results/26_2026/x.CSV", "another site"),
        ("../../../etc/passwd", "outside the site root"),
        ("/Other/x.CSV", "outside the site root"),
        ("../25_2025/x.CSV", "beside this folder"),
        ("%2e%2e/x.CSV", "would leave its folder"),
        ("a%2Fb.CSV", "path separator"),
        ("a%5Cb.CSV", "path separator"),
        (".pitwall-fetch.json", "hidden name"),
        ("%2Epitwall-fetch.json", "hidden name"),
    ],
)
def test_links_out_of_the_site_are_refused(href: str, reason: str) -> None:
    html = f'<a href="{href}">evil</a> <br><a href="ok.CSV">ok.CSV</a>'
    listing = parse_listing(html, "http://h/Results/26_2026/", "http://h/Results/")
    assert [e.name for e in listing.entries] == ["ok.CSV"]
    ((refused, why),) = listing.refused
    assert refused == href and reason in why


def test_scope() -> None:
    every = FetchOptions(site=ROOT, seasons=None)
    assert in_scope(("26_2026",), True, every)
    assert not in_scope(("intranetFtpNames.cfg",), False, every)
    assert not in_scope(("Archive",), True, every)
    seasons = FetchOptions(site=ROOT, seasons=(2025, 2026))
    assert in_scope(("25_2025", "09_Miami Grand Prix"), True, seasons)
    assert not in_scope(("24_2024", "09_Miami Grand Prix"), True, seasons)
    events = FetchOptions(site=ROOT, seasons=None, events=("miami",))
    assert in_scope(
        ("25_2025", "09_Miami Grand Prix", "01_Porsche Carrera Cup North America", "POINTS DATA", "x.csv"),
        False,
        events,
    )
    assert not in_scope(("25_2025", "10_Road America"), True, events)
    assert not in_scope(("25_2025", "season notes.csv"), False, events)
    series = FetchOptions(site=ROOT, seasons=None, series=("carrera", "pccna"))
    assert in_scope(("25_2025", "09_Miami Grand Prix"), True, series)  # its series are chosen below
    assert in_scope(("25_2025", "09_Miami Grand Prix", "01_Porsche Carrera Cup North America"), True, series)
    assert not in_scope(("25_2025", "09_Miami Grand Prix", "02_IMSA WeatherTech SportsCar Championship"), True, series)
    assert not in_scope(("25_2025", "09_Miami Grand Prix", "00_Championship Points.pdf"), False, series)
    # No series folder: the event's name tells the series.
    assert in_scope(("23_2023", "22_PCCNA COTA", "202310211410_Race 1", "03_Results_Race 1.CSV"), False, series)
    assert in_scope(("23_2023", "22_PCCNA COTA", "202310211410_Race 1"), True, series)
    assert not in_scope(("23_2023", "07_Sebring", "202303181010_Race", "x.CSV"), False, series)


def test_wanted_files() -> None:
    options = FetchOptions(site=ROOT)
    assert all(is_wanted_file(n, options) for n in ("a.CSV", "a.csv", "a.JSON", "a.Json"))
    assert not any(is_wanted_file(n, options) for n in ("a.PDF", "a.xml", "a.cfg", "csv"))
    assert is_wanted_file("a.PDF", FetchOptions(site=ROOT, pdf=True))


def test_settings() -> None:
    assert parse_seasons(["2026", "2025,2024"]) == (2024, 2025, 2026)
    assert parse_seasons(["all"]) is None
    assert parse_seasons([]) == (datetime.now().year,)
    with pytest.raises(ValueError):
        parse_seasons(["26"])
    assert site_root("http://h:8080/Results") == "http://h:8080/Results/"
    with pytest.raises(ValueError):
        site_root("file:///etc/")
    options = options_from_env(
        {
            "PITWALL_FETCH_SEASONS": "2025, 2026",
            "PITWALL_FETCH_SERIES": "WeatherTech, Carrera",
            "PITWALL_FETCH_PAUSE": "0",
        }
    )
    assert (options.site, options.seasons, options.series, options.pause) == (
        DEFAULT_SITE,
        (2025, 2026),
        ("WeatherTech", "Carrera"),
        0,
    )


def test_cli_default_site_is_the_fetchers() -> None:
    from typer.main import get_command

    from orchestration.cli import app

    command = get_command(app).commands["fetch"]
    assert next(p for p in command.params if p.name == "site").default == DEFAULT_SITE
