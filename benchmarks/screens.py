"""What a person sees and does in Label Studio's pages, read and done through a Browser."""
from __future__ import annotations

import time

from selenium.webdriver.common.by import By

from benchmarks.browser import Browser

# The labelling screen's task id (bottom left: the id, then "2 of 5") and its loaded images.
TASK_NUMBER = """const shown = document.querySelector('.lsf-current-task__task-id');
    const id = shown && shown.firstChild && shown.firstChild.textContent.replace('#', '').trim();
    return /^[0-9]+$/.test(id || '') ? id : null"""
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


class DataManager:
    """A project's Data Manager: its tabs, their thumbnails, selection and actions."""

    def __init__(self, browser: Browser, ls_url: str, project_id: int):
        self.browser, self.base = browser, f"{ls_url.rstrip('/')}/projects/{project_id}/data"

    def open_tab(self, view_id: int, at_least: int = 1, timeout: float = 60.0) -> int:
        """Open a tab; wait until ``at_least`` thumbnails have loaded; how many loaded."""
        self.browser.open(f"{self.base}?tab={view_id}")
        return self.browser.wait(lambda: (n := len(self.thumbnails())) >= at_least and n,
                                 f"{at_least} thumbnails in the tab", timeout)

    def thumbnails(self) -> list[dict]:
        """Loaded thumbnails: their natural width and where they are on the window."""
        return self.browser.js("""return Array.from(document.querySelectorAll('img'))
            .filter(i => i.complete && i.naturalWidth > 0 && i.src.includes('/data/'))
            .map(i => ({width: i.naturalWidth, left: i.getBoundingClientRect().left,
                        right: i.getBoundingClientRect().right}))""")

    def select(self, count: int) -> None:
        """Tick the first ``count`` task cards (the page re-renders after each tick)."""
        for k in range(count):
            self.browser.driver.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")[k].click()
        self.browser.wait(lambda: self._button(f"{count} Task"), f"{count} tasks selected")

    def run_action(self, title: str) -> None:
        """Open the selection's actions menu, pick ``title`` and confirm its dialog."""
        self._button(" Task").click()
        self.browser.wait(lambda: self.browser.driver.find_elements(
            By.XPATH, f"//*[normalize-space(text())='{title}']"), f"the {title!r} action")[0].click()
        self.browser.wait(lambda: self._button("OK", exact=True), "the dialog's OK").click()

    def _button(self, text: str, exact: bool = False):
        for button in self.browser.driver.find_elements(By.TAG_NAME, "button"):
            label = button.text.strip()
            if button.is_displayed() and (label == text if exact else text in label):
                return button
        return None

