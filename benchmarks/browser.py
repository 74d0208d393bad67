"""A headless Debian Chromium, driven by selenium, logged in to Label Studio as the stack's user.

Only the system's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` are used (Debian's
``chromium`` and ``chromium-driver``): the driver path is passed explicitly, so selenium's
own manager never runs and nothing is downloaded.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Root on a machine without network beyond loopback: no sandbox, no GPU, nothing phoning home.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
T = TypeVar("T")


class BrowserMissing(RuntimeError):
    """Chromium or its driver is not installed (scripts/system_deps.sh installs both)."""


class Browser:
    """One Chromium window of ``width`` x ``height`` px, with screenshots into ``shots``."""

    def __init__(self, shots: Path, width: int = 1440, height: int = 900):
        for path in (CHROMIUM, CHROMEDRIVER):
            if not path.exists():
                raise BrowserMissing(f"{path} not found: apt-get install chromium chromium-driver")
        self.shots = Path(shots)
        self.shots.mkdir(parents=True, exist_ok=True)
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def login(self, url: str, email: str, password: str) -> None:
        """Sign in through Label Studio's own login form."""
        self.driver.get(url.rstrip("/") + "/user/login/")
        self.driver.find_element(By.NAME, "email").send_keys(email)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]").click()
        self.wait(lambda: "/user/login" not in self.driver.current_url, "the login to finish")

    def open(self, url: str) -> None:
        self.driver.get(url)

    def js(self, script: str, *args):
        """Run ``script`` (a function body; ``arguments`` holds ``args``) in the page."""
        return self.driver.execute_script(script, *args)

    def wait(self, condition: Callable[[], T], what: str, timeout: float = 30.0, poll: float = 0.05) -> T:
        """Poll ``condition`` until it returns something truthy; raise naming ``what`` otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if value := condition():
                    return value
            except (StaleElementReferenceException, WebDriverException):
                pass
            if time.monotonic() > deadline:
                self.screenshot("timeout-" + "".join(c if c.isalnum() else "-" for c in what)[:60])
                raise TimeoutError(f"waited {timeout:.0f} s for {what}")
            time.sleep(poll)

    def screenshot(self, name: str) -> Path:
        """Save the window as ``shots/<name>.png``."""
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path
