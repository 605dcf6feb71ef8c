"""Static files under a content-hashed prefix, cached for good and sent compressed; pages
with an ETag, so a reload of an unchanged page is a 304 and costs almost nothing."""

from __future__ import annotations

import re
import time
from posixpath import dirname, normpath
from urllib.parse import urljoin

import brotli

from pos.demo import DEMO_PASSWORD
from pos.static_files import STATIC_DIR, static_digest

# import "./x.js"; import {a} from "./x.js"; import("./x.js"); export {a} from "./x.js"
IMPORT = re.compile(r"(?:\bimport\s*(?:[^'\"()]*?\bfrom\s*)?|\bimport\s*\(\s*"
                    r"|\bexport\s+[^'\"]*?\bfrom\s*)['\"]([^'\"]+)['\"]")


def _static_url(app, filename: str) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for("static", filename=filename)


def test_static_urls_carry_the_content_hash_and_are_cached_for_good(app):
    url = _static_url(app, "app.css")
    assert url == f"/static/{static_digest(STATIC_DIR)}/app.css"
    page = app.test_client().get("/login").get_data(as_text=True)
    assert f'href="{url}"' in page

    response = app.test_client().get(url, headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.data) == (STATIC_DIR / "app.css").read_bytes()
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "public" in cache

    again = app.test_client().get(url, headers={"Accept-Encoding": "br, gzip",
                                                "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_browser_without_brotli_gets_gzip_or_plain(app):
    url = _static_url(app, "app.css")
    plain = app.test_client().get(url)
    assert "Content-Encoding" not in plain.headers
    assert plain.data == (STATIC_DIR / "app.css").read_bytes()
    gzipped = app.test_client().get(url, headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"


def test_every_module_import_resolves_under_the_hashed_prefix(app):
    """What the static folder holds now: each script's relative imports, resolved as a
    browser resolves them against the hashed URL, are files cached for good."""
    client = app.test_client()
    scripts = sorted(STATIC_DIR.rglob("*.js"))
    assert scripts
    for script in scripts:
        name = script.relative_to(STATIC_DIR).as_posix()
        url = _static_url(app, name)
        for spec in IMPORT.findall(script.read_text(encoding="utf-8")):
            if not spec.startswith("."):
                continue
            target = urljoin(url, spec)
            assert target.startswith(_static_url(app, "")), (name, spec)
            imported = normpath(f"{dirname(name)}/{spec}")
            assert (STATIC_DIR / imported).is_file(), (name, spec)
            response = client.get(target)
            assert response.status_code == 200, (name, spec)
            assert "immutable" in response.headers["Cache-Control"], (name, spec)


def test_a_changed_file_changes_every_url(tmp_path):
    (tmp_path / "pos").mkdir()
    (tmp_path / "pos" / "cart.js").write_text("export const a = 1;\n")
    before = static_digest(tmp_path)
    (tmp_path / "pos" / "cart.js").write_text("export const a = 2;\n")
    assert static_digest(tmp_path) != before


def test_an_unversioned_or_older_static_path_still_answers_but_is_revalidated(app):
    client = app.test_client()
    for url in ("/static/app.css", "/static/0123456789ab/app.css"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-cache" in response.headers["Cache-Control"], url
    assert client.get("/static/nothing-here.css").status_code == 404


def test_an_unchanged_page_reloads_as_a_304(seeded):
    client = seeded.test_client()
    login = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', login.get_data(as_text=True))
    response = client.post("/login", data={"username": "thungan.coop-01",
                                           "password": DEMO_PASSWORD,
                                           "csrf_token": token.group(1)})
    assert response.status_code in (302, 303)

    first = client.get("/pos", headers={"Accept-Encoding": "br"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "br"
    assert "no-cache" in first.headers["Cache-Control"]
    assert "private" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    time.sleep(1.1)  # a CSRF token signed anew would now carry another timestamp
    second = client.get("/pos", headers={"Accept-Encoding": "br"})
    assert second.headers["ETag"] == etag  # the same page, byte for byte

    reload = client.get("/pos", headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert reload.status_code == 304 and reload.data == b""


def test_the_till_announces_every_module_it_will_import(seeded):
    """The till's modules are fetched at once, not one level of imports after another:
    each file cashier.js reaches is a modulepreload of the page, under the hashed prefix."""
    client = seeded.test_client()
    login = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', login.get_data(as_text=True))
    client.post("/login", data={"username": "thungan.coop-01", "password": DEMO_PASSWORD,
                                "csrf_token": token.group(1)})
    page = client.get("/pos").get_data(as_text=True)
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)"', page))
    reached, todo = set(), ["pos/cashier.js"]
    while todo:
        name = todo.pop()
        for spec in IMPORT.findall((STATIC_DIR / name).read_text(encoding="utf-8")):
            imported = normpath(f"{dirname(name)}/{spec}")
            if spec.startswith(".") and imported not in reached:
                reached.add(imported)
                todo.append(imported)
    assert reached
    assert {_static_url(seeded, name) for name in reached} <= preloaded
