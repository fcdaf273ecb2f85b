"""The analysis page in a real browser: headless Chromium (Debian's ``chromium`` + ``chromium-driver``, driven by
selenium) at a phone's width, for three sample failures that went the whole way (event -> worker -> double).

Each page is saved as a screenshot and as HTML under ``$LJ_TEST_ARTEFACTS`` (default ``test-artefacts/`` in
the repository, ignored by git) for people to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_analysis_page import page_url_in, wait_for_analysis
from tests.jenkins_double import JenkinsDouble
from tests.services import REPO_ROOT, RunningAPI

pytestmark = pytest.mark.e2e

SAMPLES = REPO_ROOT / "samples" / "logs"
PHONE = (375, 812)
#: (job, log, green log of the build before it or None)
CASES = [
    ("shop/checkout-service", "maven-test-failure.log", "maven-test-failure.previous.log"),
    ("mobile/android-app", "gradle-compile-error.log", None),
    ("infra/image-build", "agent-oom-killed.log", None),
]


@pytest.fixture
def settings_overrides(public_port: int) -> dict[str, Any]:
    return {
        "PUBLIC_API_URL": f"http://127.0.0.1:{public_port}",
        "PAGE_LINK_SECRET": "browser-test-key-0123456789abcdef",
    }


def artefacts_dir() -> Path:
    path = Path(os.environ.get("LJ_TEST_ARTEFACTS") or REPO_ROOT / "test-artefacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium through chromedriver, with a fresh profile; fails (never skips) when not installed."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.fail("chromium and chromium-driver are not installed (scripts/system-deps.sh installs them)")
    profile = tempfile.mkdtemp(prefix="lj-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--window-size={PHONE[0]},{PHONE[1]}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_window_size(*PHONE)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def report_failure(api: RunningAPI, double: JenkinsDouble, job: str, log: str, green: str | None) -> None:
    double.add_job(job)
    if green is not None:
        double.add_build(job, 11, "SUCCESS", console=(SAMPLES / green).read_text())
    double.add_build(job, 12, "FAILURE", console=(SAMPLES / log).read_text())
    event = {"jenkins_url": double.url, "job": job, "build": 12, "status": "FAILURE"}
    request = urllib.request.Request(
        f"{api.url}/api/v1/events",
        data=json.dumps(event).encode(),
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


def test_the_page_reads_well_on_a_phone_in_a_real_browser(
    page_api: RunningAPI, jenkins_double: JenkinsDouble, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    out = artefacts_dir()
    for job, log, green in CASES:
        report_failure(page_api, jenkins_double, job, log, green)
    for job, _log, green in CASES:
        analysis = wait_for_analysis(page_api, job, 12, jenkins_double.url.rstrip("/"))["analysis"]
        description = jenkins_double.description(job, 12) or ""
        browser.get(page_url_in(description))  # the link from the build page, opened with no credentials

        block = browser.find_element(By.ID, "block-1")
        assert block.is_displayed()
        first = analysis["excerpt"][0]
        links = block.find_elements(By.CSS_SELECTOR, "a.ln")
        assert [a.text for a in links] == [
            str(n) for n in range(first["start_line"], first["start_line"] + len(first["text"].split("\n")))
        ]
        for anchor in links:
            assert anchor.get_attribute("href") == f"{analysis['console_url']}#L{anchor.text}"
        # Usable at 375 px: nothing wider than the screen, the verdict and the excerpt on the first screens,
        # the form's button big enough to tap.
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE[0], f"the page scrolls sideways at {PHONE[0]} px ({width} px wide)"
        assert browser.find_element(By.ID, "verdict").is_displayed()
        assert block.rect["x"] >= 0 and block.rect["x"] + block.rect["width"] <= PHONE[0]
        button = browser.find_element(By.CSS_SELECTOR, "form button")
        assert button.size["height"] >= 40
        if green is not None:
            marked = block.find_elements(By.CSS_SELECTOR, ".line.new")
            assert marked and len(marked) == len(first["new_lines"])

        name = job.replace("/", "_")
        # A full-length screenshot: the window grows to the page's height at the phone's width.
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(PHONE[0], min(max(height, PHONE[1]), 6000))
        assert browser.save_screenshot(str(out / f"{name}.png"))
        (out / f"{name}.html").write_text(browser.page_source, encoding="utf-8")
        (out / f"{name}.description.txt").write_text(description, encoding="utf-8")
        browser.set_window_size(*PHONE)
        assert (out / f"{name}.png").stat().st_size > 10_000
