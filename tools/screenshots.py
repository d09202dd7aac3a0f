"""The demo help center as customers see it: screenshots at desktop and mobile width.

Builds the demo site, serves it locally and drives Debian's headless Chromium through the home
page, a category, an article, a search with results, a search nothing answers, and the contact
page it leads to, and the demo's coverage report (`kbgen report --html`). Writes
screenshots/<page>-<desktop|mobile>.png and screenshots/report.png (linked from the README).

    make screenshots      # or: .venv/bin/python tools/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import CHROMEDRIVER, CHROMIUM, chrome, copy_demo, run_kbgen, served  # noqa: E402
from tests.mkdocs_plugin.test_search_browser import results  # noqa: E402

WIDTHS = {"desktop": (1280, 900), "mobile": (390, 844)}


def shoot(out: Path) -> list[Path]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        built = run_kbgen("build", "-d", str(site), cwd=ROOT)
        if built.code != 0:
            sys.exit(f"the demo site did not build:\n{built.stderr}")
        driver = chrome(Path(tmp) / "profile")
        try:
            with served(site) as url:
                for device, size in WIDTHS.items():
                    driver.set_window_size(*size)

                    def save(name: str) -> None:
                        time.sleep(0.3)  # fonts and the theme's transitions settle
                        path = out / f"{name}-{device}.png"
                        driver.save_screenshot(str(path))
                        written.append(path)

                    for name, page in (("home", ""), ("category", "billing/"),
                                       ("article", "account-and-sign-in/reset-password/")):
                        driver.get(url + page)
                        save(name)
                    driver.get(url)
                    results(driver, "refunds")
                    save("search")
                    results(driver, "can I pay with bitcoin")
                    save("search-no-answer")
                    link = driver.find_element(By.CSS_SELECTOR, ".kbgen-search-contact a")
                    driver.execute_script("arguments[0].click()", link)
                    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kbgen-carried"))
                    save("contact")
            demo = copy_demo(Path(tmp) / "demo")
            report = Path(tmp) / "report.html"
            made = run_kbgen("report", "--as-of", "2026-11-22", "--html", str(report), cwd=demo)
            if made.code != 0:
                sys.exit(f"the demo report failed:\n{made.stderr}")
            driver.set_window_size(1280, 2400)
            driver.get(report.as_uri())
            time.sleep(0.3)
            driver.save_screenshot(str(out / "report.png"))
            written.append(out / "report.png")
        finally:
            driver.quit()  # type: ignore[attr-defined]
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    if not (CHROMIUM and CHROMEDRIVER):
        sys.exit("chromium and chromedriver are needed: make browser-deps")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in shoot(args.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
