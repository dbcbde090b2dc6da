"""A person's view: headless Chromium (Debian's chromium + chromium-driver, which `make
test` installs) opens the archive in Datasette, types "Shougang" into the articles
search box, and must see the seed article; then opens it and the ranked search page.
Screenshots go to test-artifacts/ (gitignored)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_URL
from tests.test_datasette import Server
from tests.test_search_fixtures import build_query_archive

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "test-artifacts"

from selenium import webdriver  # noqa: E402  (the test extra)

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    # Missing is a failure, never a skip: make test installs them (make test-deps).
    pytest.fail("the browser tests need Debian's chromium and chromium-driver at /usr/bin: "
                "run make test-deps (as root) to install them", pytrace=False)

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    archive = build_query_archive(tmp_path_factory.mktemp("browser") / "archive.db")
    srv = Server(archive)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1800", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 5000
    return path


def test_search_box_finds_the_seed_article(server, browser):
    browser.get(server.base + "/archive/articles")
    box = WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.NAME, "_search")))
    box.clear()
    box.send_keys("Shougang")
    box.submit()
    WebDriverWait(browser, 30).until(lambda d: "_search=Shougang" in d.current_url)
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.rows-and-columns")))
    page = browser.page_source
    assert "Zhongguancun, Shougang join hands on industrial platform" in page
    assert SEED_URL in page
    assert "1 row" in browser.find_element(By.TAG_NAME, "h3").text
    screenshot(browser, "browser-search-shougang.png")


def test_article_page_reads_like_an_article(server, browser):
    browser.get(server.base + "/archive/articles/1")
    article = WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.article")))
    paragraphs = article.find_elements(By.CSS_SELECTOR, ".body p")
    assert len(paragraphs) == 2 and paragraphs[0].text.startswith("The Administrative Committee")
    links = [a.get_attribute("href") for a in article.find_elements(By.CSS_SELECTOR, ".related a")]
    assert "http://www.ecns.cn/business/2013/09-13/82570.shtml" in links
    # The related entry whose title is a script tag shows as text.
    assert "<script>alert('related')</script>" in article.text
    screenshot(browser, "browser-article.png")


def test_ranked_search_page_in_chinese(server, browser):
    browser.get(server.base + "/-/search")
    box = WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.NAME, "q")))
    box.send_keys("首钢")
    box.submit()
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "ol.hits li")))
    hits = browser.find_elements(By.CSS_SELECTOR, "ol.hits li")
    assert len(hits) == 1 and "中关村与首钢携手打造产业平台" in hits[0].text
    assert hits[0].find_element(By.TAG_NAME, "mark").text == "首钢"
    screenshot(browser, "browser-ranked-search-chinese.png")
