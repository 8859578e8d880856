"""`mcp-geo data download` against a local HTTP server on 127.0.0.1.

The server serves a temporary folder laid out like the publishers' paths (every publisher host
collapses onto the one server through ``base_url``), filled at test time from ../shared/data::

    data-and-information/.../patients-registered-at-a-gp-practice/
        april-2025      page -> https://files.digital.nhs.uk/AB/12CD34/gp-reg-pat-prac-all.zip
        october-2025    page -> /EF/56AB78/gp-reg-pat-prac-map.zip          (relative link)
        january-2021    page -> https://files.digital.nhs.uk/19/AADF93/gp-reg-pat-prac-all.csv
        september-2020  page -> https://files.digital.nhs.uk/22/C0FFEE/gp-reg-pat-prac-map.csv
    api/getReport?report=NAME                       api/getReport/NAME: epraccur, and eauth
                                                    (hand-made, tests/practices/_ods.py)
    ESMARspQHYMw9BZ9/arcgis/rest/services/<service>/FeatureServer/0/query     GeoJSON
    downloads/v1/products/CodePointOpen/downloads   302 -> https://os.example/files/codepo_gb.zip

Code-Point Open is a small zip of two real area files; the countries GeoJSON is a tiny
hand-made FeatureCollection (the shared copy is a shapefile).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from mcp_geo._errors import DownloadError, ValidationError
from mcp_geo.practices.download.official import download_official_files
from mcp_geo.practices.sources import OFFICIAL_FILES, OfficialFile, official_files
from tests.practices._ods import eauth_lines

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
NHS_PAGES = "data-and-information/publications/statistical/patients-registered-at-a-gp-practice"
ARCGIS = "ESMARspQHYMw9BZ9/arcgis/rest/services"

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data")

# what the server serves at each path, and the shared file it must arrive identical to
SOURCES = {
    "AB/12CD34/gp-reg-pat-prac-all.zip": "nhs/gp-reg-pat-prac-all_2025-04.csv",
    "EF/56AB78/gp-reg-pat-prac-map.zip": "nhs/gp-reg-pat-prac-map_2025-10.csv",
    "19/AADF93/gp-reg-pat-prac-all.csv": "nhs/gp-reg-pat-prac-all_2021-01.csv",
    "22/C0FFEE/gp-reg-pat-prac-map.csv": "nhs/gp-reg-pat-prac-map_2020-09.csv",
    "api/getReport/epraccur": "nhs/epraccur_2026-06.csv",
    f"{ARCGIS}/Sub_Integrated_Care_Board_Locations_April_2023_EN_BSC/FeatureServer/0/query": (
        "geo/SubICB_April_2023_EN_BSC.geojson"
    ),
    f"{ARCGIS}/Integrated_Care_Boards_April_2023_EN_BSC/FeatureServer/0/query": (
        "geo/ICB_April_2023_EN_BSC.geojson"
    ),
    f"{ARCGIS}/Clinical_Commissioning_Groups_April_2019_Boundaries_EN_BUC_2022/FeatureServer/0/"
    "query": "geo/CCG_April_2019_EN_BUC.geojson",
}
PAGES = {
    "april-2025": "https://files.digital.nhs.uk/AB/12CD34/gp-reg-pat-prac-all.zip",
    "october-2025": "/EF/56AB78/gp-reg-pat-prac-map.zip",
    "january-2021": "https://files.digital.nhs.uk/19/AADF93/gp-reg-pat-prac-all.csv",
    "september-2020": "https://files.digital.nhs.uk/22/C0FFEE/gp-reg-pat-prac-map.csv",
}
CODEPOINT_AREAS = ("st", "ws")
EAUTH = ("\r\n".join(eauth_lines()) + "\r\n").encode()


class Server(http.server.ThreadingHTTPServer):
    """A file server with a few misbehaviours switched on per path."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        handler = functools.partial(Handler, directory=str(root))
        super().__init__(("127.0.0.1", 0), handler)
        self.root = root
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.requests: list[str] = []
        self.redirects: dict[str, str] = {}
        self.failures: dict[str, int] = {}  # path -> how many 503s to send first
        self.truncated: set[str] = set()  # paths sent with half their announced bytes

    def serve(self, path: str, data: bytes) -> str:
        """Put ``data`` at ``path`` and return its publisher-style URL."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return f"https://files.digital.nhs.uk/{path}"


class Handler(http.server.SimpleHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path.lstrip("/")
        if path == "api/getReport":  # ODS Data Search and Export: one path, the report asked for
            path = f"{path}/{parse_qs(parts.query).get('report', [''])[0]}"
            self.path = f"/{path}"
        self.server.requests.append(path)
        if path in self.server.redirects:
            self.send_response(302)
            self.send_header("Location", self.server.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.server.failures.get(path, 0) > 0:
            self.server.failures[path] -= 1
            self.send_error(503, "Service Unavailable")
        elif path in self.server.truncated:
            body = (self.server.root / path).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
        else:
            super().do_GET()


def _zip(path: Path, members: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _countries() -> bytes:
    features = [
        {
            "type": "Feature",
            "id": i + 1,
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[i, 0], [i + 1, 0], [i + 1, 1], [i, 1], [i, 0]]],
            },
            "properties": {"CTRY22CD": code, "CTRY22NM": name},
        }
        for i, (code, name) in enumerate(
            [
                ("E92000001", "England"),
                ("N92000002", "Northern Ireland"),
                ("S92000003", "Scotland"),
                ("W92000004", "Wales"),
            ]
        )
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("publishers")
    for path, shared in SOURCES.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        source = DATA / shared
        if path.endswith(".zip"):
            _zip(target, {source.name.split("_")[0] + ".csv": source.read_bytes()})
        else:
            target.symlink_to(source)
    for page, link in PAGES.items():
        decoys = "".join(
            f'<a href="https://files.digital.nhs.uk/00/000000/{name}">x</a>'
            for name in ("gp-reg-pat-prac-sing-age-all.zip", "gp-reg-pat-prac-quin-age.zip")
        )
        html = f"<html><body>{decoys}<a class='file' href=\"{link}\">data</a></body></html>"
        (root / NHS_PAGES).mkdir(parents=True, exist_ok=True)
        (root / NHS_PAGES / page).write_text(html)
    (root / "api/getReport/eauth").write_bytes(EAUTH)
    countries = root / ARCGIS / "Countries_December_2022_UK_BUC/FeatureServer/0/query"
    countries.parent.mkdir(parents=True)
    countries.write_bytes(_countries())
    csvs = DATA / "geo/codepo_gb/Data/CSV"
    members = {f"Data/CSV/{a}.csv": (csvs / f"{a}.csv").read_bytes() for a in CODEPOINT_AREAS}
    members["Doc/licence.txt"] = (DATA / "geo/codepo_gb/Doc/licence.txt").read_bytes()
    (root / "files").mkdir()
    _zip(root / "files/codepo_gb.zip", members)
    httpd = Server(root)
    httpd.redirects["downloads/v1/products/CodePointOpen/downloads"] = (
        "https://os.example/files/codepo_gb.zip"
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def _files() -> tuple[OfficialFile, ...]:
    """The real list, with size checks scaled to the two-area Code-Point zip and the tiny
    countries file."""
    scaled = {
        "codepoint/latest": {"min_bytes": 100_000, "min_records": len(CODEPOINT_AREAS)},
        "countries/2022-12": {"min_bytes": 100},
    }
    return tuple(dataclasses.replace(f, **scaled.get(f.key, {})) for f in OFFICIAL_FILES)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder: Path) -> list[Path]:
    """Temporary files or folders (hidden, ``.part``) left anywhere under ``folder``."""
    return [p for p in folder.rglob("*") if p.name.startswith(".") or p.name.endswith(".part")]


def _csv_file(key: str = "test/csv", **changes: object) -> OfficialFile:
    fields: dict[str, object] = {
        "key": key,
        "title": "a test CSV",
        "url": "https://files.digital.nhs.uk/test/list.csv",
        "filename": "nhs/list.csv",
        "kind": "csv",
        "snapshots": ("2025-04",),
        "licence": "OGL",
        "dated": True,
        "min_bytes": 10,
        "header": ("PUBLICATION", "EXTRACT_DATE"),
    }
    fields.update(changes)
    return OfficialFile(**fields)  # type: ignore[arg-type]


def test_download_writes_every_file_byte_identical(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "data"
    calls: list[tuple[str, int, int | None]] = []
    report = download_official_files(
        dest,
        files=_files(),
        base_url=server.url,
        progress=lambda key, done, total: calls.append((key, done, total)),
        timeout=10,
        backoff_s=0,
    )
    assert [f.key for f in report.files] == [f.key for f in OFFICIAL_FILES]
    assert {f.status for f in report.files} == {"downloaded"}
    written = {f.key: f for f in report.files}
    for item in OFFICIAL_FILES:
        if item.kind == "tree":
            continue
        path = dest / item.filename
        assert written[item.key].path == path
        assert written[item.key].sha256 == _sha(path)
        assert written[item.key].bytes == path.stat().st_size
    expected = {
        "nhs/gp-reg-pat-prac-all_2025-04.csv": "nhs/gp-reg-pat-prac-all_2025-04.csv",
        "nhs/gp-reg-pat-prac-map_2025-10.csv": "nhs/gp-reg-pat-prac-map_2025-10.csv",
        "nhs/gp-reg-pat-prac-all_2021-01.csv": "nhs/gp-reg-pat-prac-all_2021-01.csv",
        "nhs/gp-reg-pat-prac-map_2020-09.csv": "nhs/gp-reg-pat-prac-map_2020-09.csv",
        "nhs/epraccur.csv": "nhs/epraccur_2026-06.csv",
        "geo/SubICB_April_2023_EN_BSC.geojson": "geo/SubICB_April_2023_EN_BSC.geojson",
        "geo/ICB_April_2023_EN_BSC.geojson": "geo/ICB_April_2023_EN_BSC.geojson",
        "geo/CCG_April_2019_EN_BUC.geojson": "geo/CCG_April_2019_EN_BUC.geojson",
    }
    for ours, shared in expected.items():
        assert (dest / ours).read_bytes() == (DATA / shared).read_bytes(), ours
    assert (dest / "geo/Countries_December_2022_UK_BUC.geojson").read_bytes() == _countries()
    assert (dest / "nhs/eauth.csv").read_bytes() == EAUTH
    assert "api/getReport/eauth" in server.requests
    for area in CODEPOINT_AREAS:
        got = dest / f"geo/codepo_gb/Data/CSV/{area}.csv"
        assert got.read_bytes() == (DATA / f"geo/codepo_gb/Data/CSV/{area}.csv").read_bytes()
    assert (dest / "geo/codepo_gb/Doc/licence.txt").is_file()
    assert (dest / "geo/codepo_gb").stat().st_mode & 0o777 == 0o755
    assert (dest / "nhs/epraccur.csv").stat().st_mode & 0o777 == 0o644
    assert _leftovers(dest) == []
    # the NHS pages were followed to their files, and Code-Point through the OS redirect
    assert f"{NHS_PAGES}/october-2025" in server.requests
    assert "EF/56AB78/gp-reg-pat-prac-map.zip" in server.requests
    assert "files/codepo_gb.zip" in server.requests
    # progress: per file, growing, ending at the size of what was sent
    epraccur = [(done, total) for key, done, total in calls if key == "epraccur/latest"]
    size = (DATA / "nhs/epraccur_2026-06.csv").stat().st_size
    assert epraccur[-1] == (size, size)
    assert [d for d, _ in epraccur] == sorted(d for d, _ in epraccur)
    assert "nhs/epraccur.csv" in str(report)

    # a second run fetches nothing: pinned files are verified, the others kept
    before = len(server.requests)
    again = download_official_files(dest, files=_files(), base_url=server.url, timeout=10)
    assert len(server.requests) == before
    status = {f.key: f.status for f in again.files}
    assert status["list-sizes/2025-04"] == status["list-sizes/2021-01"] == "verified"
    assert status["epraccur/latest"] == status["codepoint/latest"] == "kept"
    assert status["eauth/latest"] == "kept"
    assert again.downloaded == ()

    # a file of the user's in the Code-Point folder: the refresh neither deletes it nor
    # replaces the folder, and says which file stops it
    mine = dest / "geo/codepo_gb/Data/CSV/zz.csv"
    mine.write_text("my notes\n")
    with pytest.raises(DownloadError, match=r"not in the official archive \(Data/CSV/zz\.csv\)"):
        download_official_files(dest, files=_files(), base_url=server.url, timeout=10, refresh=True)
    assert mine.read_text() == "my notes\n"
    assert _leftovers(dest) == []

    # without it, refresh fetches the unpinned files again, swapping the Code-Point folder whole
    mine.unlink()
    fresh = download_official_files(
        dest, files=_files(), base_url=server.url, timeout=10, refresh=True
    )
    status = {f.key: f.status for f in fresh.files}
    assert status["list-sizes/2025-04"] == "verified"
    assert status["epraccur/latest"] == status["codepoint/latest"] == "downloaded"
    assert _leftovers(dest) == []


def test_download_writes_through_links_and_never_replaces_a_folder(server: Server, tmp_path: Path):
    """A symbolic link where an official file goes is written through, never replaced; a
    folder where a file goes is refused before anything is fetched."""
    item = next(f for f in _files() if f.key == "epraccur/latest")
    dest = tmp_path / "data"
    (dest / "nhs").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("old\n")
    (dest / item.filename).symlink_to(elsewhere)
    download_official_files(dest, files=[item], base_url=server.url, timeout=10, refresh=True)
    assert (dest / item.filename).is_symlink()
    assert elsewhere.read_bytes() == (DATA / "nhs/epraccur_2026-06.csv").read_bytes()

    (dest / item.filename).unlink()
    (dest / item.filename).mkdir()
    (dest / item.filename / "keep.txt").write_text("mine\n")
    before = len(server.requests)
    with pytest.raises(ValidationError, match="is a folder where the file of epraccur/latest"):
        download_official_files(dest, files=[item], base_url=server.url, timeout=10)
    assert len(server.requests) == before
    assert (dest / item.filename / "keep.txt").read_text() == "mine\n"


def _assert_fails(
    server: Server, dest: Path, item: OfficialFile, match: str, **kwargs: object
) -> DownloadError:
    options: dict[str, object] = {"base_url": server.url, "timeout": 10, "backoff_s": 0}
    options.update(kwargs)
    with pytest.raises(DownloadError, match=match) as caught:
        download_official_files(dest, files=[item], **options)  # type: ignore[arg-type]
    message = str(caught.value)
    assert item.key in message
    assert str(dest / item.filename) in message
    assert server.url in message  # the URL it was fetching
    assert _leftovers(dest) == []
    return caught.value


def test_http_404_leaves_nothing_behind(server: Server, tmp_path: Path) -> None:
    item = _csv_file(url="https://files.digital.nhs.uk/no/such/file.csv")
    _assert_fails(server, tmp_path, item, r"HTTP 404")
    assert not (tmp_path / item.filename).exists()
    assert server.requests.count("no/such/file.csv") == 1  # a 404 is not retried


def test_truncated_body_is_retried_then_refused(server: Server, tmp_path: Path) -> None:
    url = server.serve("trunc/list.csv", b"PUBLICATION,EXTRACT_DATE\n" + b"X,1\n" * 5000)
    server.truncated.add("trunc/list.csv")
    item = _csv_file(url=url)
    _assert_fails(server, tmp_path, item, r"truncated.*gave up after 3 attempts", retries=2)
    assert server.requests.count("trunc/list.csv") == 3
    assert not (tmp_path / item.filename).exists()


def test_file_below_min_bytes_is_refused(server: Server, tmp_path: Path) -> None:
    url = server.serve("small/list.csv", b"PUBLICATION,EXTRACT_DATE\nX,1\n")
    item = _csv_file(url=url, min_bytes=10_000)
    _assert_fails(server, tmp_path, item, r"only 29 bytes, fewer than the 10,000 expected")


def test_html_error_page_instead_of_csv_is_refused(server: Server, tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><head><title>Access denied</title></head></html>\n" * 20
    url = server.serve("html/list.csv", page)
    _assert_fails(server, tmp_path, _csv_file(url=url), r"HTML or XML page, not a CSV")


def test_wrong_columns_are_refused(server: Server, tmp_path: Path) -> None:
    url = server.serve("cols/list.csv", b"CODE,NAME\nA81001,X\n" * 10)
    _assert_fails(
        server, tmp_path, _csv_file(url=url), r"does not start with the columns PUBLICATION"
    )


def test_checksum_mismatch_keeps_the_old_file(server: Server, tmp_path: Path) -> None:
    wrong = dataclasses.replace(
        next(f for f in OFFICIAL_FILES if f.key == "list-sizes/2021-01"), sha256="0" * 64
    )
    old = tmp_path / wrong.filename
    old.parent.mkdir(parents=True)
    old.write_bytes(b"an older copy\n")
    _assert_fails(server, tmp_path, wrong, r"sha256 50cba221\w+ differs from the pinned 0{64}")
    assert old.read_bytes() == b"an older copy\n"


def test_zip_without_the_member_is_refused(server: Server, tmp_path: Path) -> None:
    _zip(server.root / "zip/other.zip", {"something-else.csv": b"A,B\n1,2\n"})
    item = _csv_file(url="https://files.digital.nhs.uk/zip/other.zip", member=r"list\.csv")
    _assert_fails(server, tmp_path, item, r"0 members named like 'list\\\\.csv'.*something-else")


def test_publisher_zip_or_bare_csv_both_work(server: Server, tmp_path: Path) -> None:
    source = DATA / "nhs/epraccur_2026-06.csv"
    _zip(server.root / "ods/epraccur.zip", {"epraccur.csv": source.read_bytes()})
    item = dataclasses.replace(
        next(f for f in OFFICIAL_FILES if f.key == "epraccur/latest"),
        url="https://files.digital.nhs.uk/ods/epraccur.zip",
    )
    report = download_official_files(tmp_path, files=[item], base_url=server.url, timeout=10)
    assert (tmp_path / "nhs/epraccur.csv").read_bytes() == source.read_bytes()
    assert report.files[0].sha256 == _sha(source)


def test_page_without_the_link_is_refused(server: Server, tmp_path: Path) -> None:
    server.serve("pages/empty", b"<html><a href='/x/other.zip'>other</a></html>")
    item = _csv_file(url="https://digital.nhs.uk/pages/empty", link=r"list\.(?:zip|csv)")
    _assert_fails(server, tmp_path, item, r"links to no file named like .*\(1 links\)")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"error": {"code": 400, "message": "Invalid query"}}, r"answered with an error"),
        ({"type": "FeatureCollection", "features": [], "exceededTransferLimit": True}, "short"),
        ({"type": "FeatureCollection", "features": []}, r"0 features, fewer than the 42"),
        ({"type": "Topology"}, r"not a GeoJSON FeatureCollection"),
    ],
)
def test_bad_geojson_is_refused(
    server: Server, tmp_path: Path, body: dict[str, object], match: str
) -> None:
    name = f"geo/{abs(hash(match))}/query"
    url = server.serve(name, json.dumps(body).encode())
    item = dataclasses.replace(
        next(f for f in OFFICIAL_FILES if f.key == "icb/2023-04"), url=url, min_bytes=0
    )
    _assert_fails(server, tmp_path, item, match)


def test_503_is_retried_until_it_succeeds_or_gives_up(server: Server, tmp_path: Path) -> None:
    url = server.serve("busy/list.csv", b"PUBLICATION,EXTRACT_DATE\nX,1\n")
    server.failures["busy/list.csv"] = 2
    report = download_official_files(
        tmp_path, files=[_csv_file(url=url)], base_url=server.url, retries=2, backoff_s=0
    )
    assert report.files[0].status == "downloaded"
    assert server.requests.count("busy/list.csv") == 3
    server.failures["busy/list.csv"] = 2
    _assert_fails(
        server, tmp_path / "again", _csv_file(url=url), r"HTTP 503.*after 2 attempts", retries=1
    )


def test_connection_refused_names_the_url(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"connection failed") as caught:
        download_official_files(
            tmp_path, files=[_csv_file()], base_url="http://127.0.0.1:9", retries=0, timeout=5
        )
    assert "http://127.0.0.1:9/test/list.csv" in str(caught.value)


def test_base_url_mapping_rewrites_only_the_origins_it_names(
    server: Server, tmp_path: Path
) -> None:
    url = server.serve("mapped/list.csv", b"PUBLICATION,EXTRACT_DATE\nX,1\n")
    mapping = {"https://files.digital.nhs.uk": server.url}
    report = download_official_files(tmp_path, files=[_csv_file(url=url)], base_url=mapping)
    assert report.files[0].url == f"{server.url}/mapped/list.csv"


def test_tree_strips_a_top_folder_and_refuses_unsafe_paths(server: Server, tmp_path: Path) -> None:
    st = (DATA / "geo/codepo_gb/Data/CSV/st.csv").read_bytes()
    _zip(server.root / "tree/good.zip", {"codepo_gb/Data/CSV/st.csv": st})
    item = dataclasses.replace(
        next(f for f in OFFICIAL_FILES if f.key == "codepoint/latest"),
        url="https://files.digital.nhs.uk/tree/good.zip",
        min_bytes=0,
        min_records=1,
    )
    download_official_files(tmp_path / "a", files=[item], base_url=server.url)
    assert (tmp_path / "a/geo/codepo_gb/Data/CSV/st.csv").read_bytes() == st
    _zip(server.root / "tree/evil.zip", {"Data/CSV/st.csv": st, "../evil.txt": b"x"})
    evil = dataclasses.replace(item, url="https://files.digital.nhs.uk/tree/evil.zip")
    _assert_fails(server, tmp_path / "b", evil, r"unsafe member path '../evil.txt'")
    assert not (tmp_path / "evil.txt").exists()
    _zip(server.root / "tree/html.zip", {"Data/CSV/st.csv": b"<html>denied</html>\n"})
    html = dataclasses.replace(item, url="https://files.digital.nhs.uk/tree/html.zip")
    _assert_fails(server, tmp_path / "c", html, r"Data/CSV/st.csv: the server sent an HTML")


def test_arguments_are_validated_all_at_once(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"5 problems") as caught:
        download_official_files(
            tmp_path,
            files=[_csv_file(), _csv_file()],
            base_url="ftp://mirror",
            timeout=0,
            retries=-1,
        )
    text = str(caught.value)
    for expected in ("appears twice", "http(s) URL", "timeout", "retries"):
        assert expected in text


def test_official_file_rules() -> None:
    with pytest.raises(ValidationError, match=r"pin checksums only for dated releases"):
        _csv_file(dated=False, sha256="a" * 64)
    with pytest.raises(ValidationError, match=r"relative POSIX path"):
        _csv_file(filename="../outside.csv")
    with pytest.raises(ValidationError, match=r"must be one of 2025-04, 2021-01"):
        official_files("2019-11")
    newest = {f.key for f in official_files("2025-04")}
    assert {"list-sizes/2025-04", "practice-map/2025-10", "epraccur/latest"} <= newest
    assert all(f.sha256 is None for f in OFFICIAL_FILES if not f.dated)
    assert len({f.filename for f in OFFICIAL_FILES}) == len(OFFICIAL_FILES)


@pytest.mark.parametrize(
    ("path", "body", "match"),
    [
        ("api/getReport/none", None, r"HTTP 404"),
        ("api/getReport/html", b"<!DOCTYPE html><html>Service unavailable</html>\n" * 60, "HTML"),
        ("api/getReport/short", EAUTH[:2_500], r"only \d+ data rows, fewer than the 30"),
    ],
)
def test_an_optional_file_that_fails_is_reported_and_the_others_fetched(
    server: Server, tmp_path: Path, path: str, body: bytes | None, match: str
) -> None:
    """eauth (the names of the current ICBs) is optional: its failure does not stop the rest."""
    if body is not None:
        server.serve(path, body)
    by_key = {f.key: f for f in _files()}
    eauth = dataclasses.replace(
        by_key["eauth/latest"], url=f"https://www.odsdatasearchandexport.nhs.uk/{path}"
    )
    assert eauth.optional
    dest = tmp_path / "data"
    report = download_official_files(
        dest, files=[eauth, by_key["epraccur/latest"]], base_url=server.url, timeout=10, retries=0
    )
    failed, fetched = report.files
    assert (failed.key, failed.status, failed.bytes, failed.sha256) == (
        "eauth/latest",
        "failed",
        0,
        None,
    )
    assert re.search(match, failed.error)
    assert f"{server.url}/{path}" in failed.error
    assert fetched.status == "downloaded"
    assert (dest / "nhs/epraccur.csv").is_file()
    assert not (dest / "nhs/eauth.csv").exists()
    assert _leftovers(dest) == []
    assert re.search(rf"failed .*nhs/eauth\.csv  \(optional, not fetched: .*{match}", str(report))


def test_a_required_file_that_fails_still_stops_the_download(server: Server, tmp_path: Path):
    by_key = {f.key: f for f in _files()}
    epraccur = dataclasses.replace(
        by_key["epraccur/latest"],
        url="https://www.odsdatasearchandexport.nhs.uk/api/getReport?report=none",
    )
    assert not epraccur.optional
    _assert_fails(server, tmp_path, epraccur, r"HTTP 404", retries=0)


def test_downloaded_folder_loads_with_the_readers(server: Server, tmp_path: Path) -> None:
    """What `data download` writes is what `load_practices` reads (publisher names, layout)."""
    from mcp_geo.practices import load_practices

    dest = tmp_path / "data"
    download_official_files(dest, files=_files(), base_url=server.url, timeout=10, backoff_s=0)
    data = load_practices(dest, snapshot="2025-04")
    assert data.rows_read == 6_239
    assert len(data.practices) + len(data.exclusions) == data.rows_read
    # the test server's Code-Point holds only the ST and WS postcode areas
    areas = data.practices["postcode"].str.extract(r"^([A-Z]+)")[0]
    assert set(areas) <= {"ST", "WS"}
    assert len(data.practices) > 100
    assert set(data.exclusions["reason"]) == {"postcode_not_found"}
    # no publisher serves the 2019 register: the 2019 CCG comes from the boundaries
    assert set(data.practices["ccg19_source"]) == {"boundary"}
    assert data.practices["ccg19_name"].str.contains("North Staffordshire").any()
    # the current ICBs are named by the eauth the server sent (QNC as eauth_lines writes it)
    names = data.practices.set_index("practice_code")["icb_2026_name"]
    assert names["M83001"] == "NHS Staffordshire and Stoke on Trent Integrated Care Board"
