"""Errors a browser meets are zh-TW pages, not the framework's JSON; the site has an icon."""

import pytest
from fastapi.testclient import TestClient
from web_support import client_for, seeded_app

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def client(sqlite_engine) -> TestClient:
    return client_for(seeded_app(sqlite_engine), "hsq.staff1")


def _zh_page(response, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-Hant-TW">' in response.text
    assert "Not Found" not in response.text and "detail" not in response.text
    return response.text


def test_an_unknown_address_gets_the_zh_tw_404_page(client):
    page = _zh_page(client.get("/no/such/page", headers=HTML), 404)
    assert "找不到此頁面" in page
    # Signed out too: the router answers before any sign-in is asked for.
    assert "找不到此頁面" in _zh_page(TestClient(client.app).get("/nowhere"), 404)


def test_a_wrong_method_gets_the_zh_tw_405_page(client):
    response = client.put("/settings", headers=HTML)
    assert "此網址不接受這種操作" in _zh_page(response, 405)
    assert "GET" in response.headers["allow"]


def test_a_malformed_address_gets_a_zh_tw_422_page_naming_the_field(client):
    page = _zh_page(client.get("/items/purchase/abc", headers=HTML), 422)
    assert "「項目編號」的值格式不正確" in page
    assert "item_id" not in page


def test_a_program_asking_for_json_still_gets_json(client):
    response = client.get("/items/purchase/abc", headers={"Accept": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "item_id"


def test_every_page_links_the_favicon(client):
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").text
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.text.startswith("<svg")
