"""What a person sees and does in Label Studio's pages, read and done through a Browser."""
from __future__ import annotations

import time

from selenium.webdriver.common.by import By

from benchmarks.browser import Browser

# The labelling screen's task number ("#123" at the bottom left) and its loaded images.
TASK_NUMBER = """return Array.from(document.querySelectorAll('*')).filter(e => e.children.length === 0
    && /^#\\d+$/.test(e.textContent.trim())).map(e => e.textContent.trim().slice(1))[0] || null"""
LOADED_IMAGES = """return Array.from(document.querySelectorAll('.lsf-image img'))
    .filter(i => i.complete && i.naturalWidth > 0).length"""


class LabellingScreen:
    """Label Studio's label stream ("Label All Tasks") of one project."""

    def __init__(self, browser: Browser, ls_url: str, project_id: int):
        self.browser, self.url = browser, f"{ls_url.rstrip('/')}/projects/{project_id}/data?labeling=1"

    def open(self, images: int = 2, timeout: float = 60.0) -> int:
        """Open the stream; wait until the task's ``images`` have loaded; the task's id."""
        self.browser.open(self.url)
        return self.wait_task(None, images, timeout)

    def wait_task(self, previous: int | None, images: int = 2, timeout: float = 60.0) -> int:
        """Wait until a task other than ``previous`` shows with its images loaded; its id."""
        def shown():
            number = self.browser.js(TASK_NUMBER)
            if number and int(number) != previous and self.browser.js(LOADED_IMAGES) >= images:
                return int(number)
            return None
        return self.browser.wait(shown, "the next task and its images", timeout)

    def text(self) -> str:
        return self.browser.js("return document.body.innerText")

    def checked(self) -> list[str]:
        """The choices ticked now (the pre-annotation, until the person changes it)."""
        return self.browser.js("""return Array.from(document.querySelectorAll('.ant-checkbox-wrapper'))
            .filter(w => w.querySelector('.ant-checkbox-checked'))
            .map(w => w.innerText.replace(/\\[\\d+\\]$/, '').trim())""")

    def press(self, key: str) -> None:
        """A key pressed with the page (not a field) focused, as a person's hotkey."""
        self.browser.driver.find_element(By.TAG_NAME, "body").send_keys(key)

    def submit(self) -> float:
        """Click Submit and wait for the next task: the seconds a person waits."""
        task = int(self.browser.js(TASK_NUMBER))
        button = self.browser.wait(lambda: next((b for b in self.browser.driver.find_elements(By.TAG_NAME, "button")
                                                 if b.text.strip() == "Submit" and b.is_enabled()), None),
                                   "the Submit button")
        started = time.perf_counter()
        button.click()
        self.wait_task(task)
        return time.perf_counter() - started
