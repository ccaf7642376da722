#!/usr/bin/env python3
"""Real-browser test of `quill inspect`'s page and `quill serve`'s Inspect tab, in headless Chromium.

  python3 Tests/browser/inspect_page.py [--quill .build/release/quill]

trains a small model on corpora/lighthouse.txt, writes its page, loads it in headless Chromium
through the DevTools Protocol and checks that the text, the cell list and a hover tooltip (a real
mouse move) render, that a chosen cell shades the text, that the keyboard moves the tooltip and
that a narrow window does not overflow, and that a plain model draws no attention; then does the
same through `quill serve`'s Inspect tab. Then trains a tiny model with an attention head and
checks that hovering a token outlines the earlier tokens its head read most and lists them.
Without Chromium it prints why and exits 0 ("skipped"). With --screenshot it captures a page
instead (docs/inspect.md):

  python3 Tests/browser/inspect_page.py --screenshot docs/inspect.png --checkpoint CKPT --text FILE \\
      [--start N] [--length N] [--feature "position in line"]

Standard library only (CI has no virtual environment).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import CDP  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """Headless Chromium with one page target under DevTools control."""

    def __init__(self, executable, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="quill-chromium-")
        self.process = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.time() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        page = next(t for t in targets if t.get("type") == "page")
        self.cdp = CDP(page["webSocketDebuggerUrl"])
        self.cdp.send("Page.enable")
        self.cdp.send("Runtime.enable")
        self.resize(width, height)

    def resize(self, width, height):
        self.cdp.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def load(self, url):
        self.cdp.events.clear()
        self.cdp.send("Page.navigate", url=url)
        self.cdp.wait_for("Page.loadEventFired")

    def wait_until(self, expression, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.cdp.evaluate(expression):
                return True
            time.sleep(0.1)
        return False

    def centre(self, selector):
        """Scrolls the element into view and returns its centre in viewport pixels."""
        rect = self.cdp.evaluate(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; }})()""")
        return rect

    def hover(self, selector):
        x, y = self.centre(selector)
        self.cdp.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)

    def click(self, selector):
        x, y = self.centre(selector)
        self.cdp.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.cdp.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def key(self, name, shift=False):
        codes = {"ArrowRight": 39, "ArrowLeft": 37, "Tab": 9}
        for kind in ("rawKeyDown", "keyUp"):
            self.cdp.send("Input.dispatchKeyEvent", type=kind, key=name, code=name, windowsVirtualKeyCode=codes[name],
                          modifiers=8 if shift else 0)

    def screenshot(self, path):
        import base64
        data = self.cdp.send("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            if hasattr(self, "cdp"):
                self.cdp.close()
        except OSError:
            pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


class Checks:
    def __init__(self):
        self.count = 0
        self.failures = []

    def __call__(self, ok, what):
        self.count += 1
        print(f"  {'ok ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def check_view(browser, check, where, expected_text=None):
    """The checks shared by the file page and the serve tab, on the view already drawn."""
    text = browser.cdp.evaluate("Array.from(document.querySelectorAll('.qi-content')).map(e => e.textContent).join('\\n')")
    if expected_text is not None:
        check(text == expected_text, f"{where}: the text renders verbatim ({len(expected_text)} characters)")
    else:
        check(bool(text) and len(text) > 20, f"{where}: the text renders")
    tokens = browser.cdp.evaluate("document.querySelectorAll('.qi-t').length")
    check(tokens > 20, f"{where}: {tokens} tokens are drawn")
    gutters = browser.cdp.evaluate("Array.from(document.querySelectorAll('.qi-gutter')).filter(g => /^\\d+\\.\\d\\d$/.test(g.textContent)).length")
    check(gutters > 0, f"{where}: {gutters} lines show their bits per character")
    features = browser.cdp.evaluate("Array.from(document.querySelectorAll('.qi-cells h3')).map(h => h.textContent)")
    cells = browser.cdp.evaluate("document.querySelectorAll('.qi-cells button').length")
    check("position in line" in features and cells > 0, f"{where}: the cell list renders ({cells} cells under {len(features)} features)")
    check(browser.cdp.evaluate("document.querySelectorAll('.qi-gates svg circle').length") > 0, f"{where}: the gate chart draws its units")

    # A real mouse move over token 12 shows its tooltip: guesses with probabilities and the rank.
    browser.hover('.qi-t[data-i="12"]')
    tip = browser.cdp.evaluate("(() => { const t = document.querySelector('.qi-tip'); return t.hidden ? null : t.innerText; })()")
    check(tip is not None and "ranked" in tip and "%" in tip and "bits" in tip, f"{where}: hovering a token shows its tooltip: {tip and tip.splitlines()[:2]}")
    check(browser.cdp.evaluate("document.querySelector('.qi-tip').getAttribute('aria-live')") == "polite", f"{where}: the tooltip is an aria-live region")
    check(browser.cdp.evaluate("document.querySelectorAll('.qi-att').length") == 0 and "attention" not in (tip or ""),
          f"{where}: a model without attention outlines nothing")

    # Choosing a cell (a real click) shades the text by its activation.
    before = browser.cdp.evaluate("document.querySelector('.qi-t[data-i=\"12\"]').style.backgroundColor")
    browser.click(".qi-cells button")
    legend = browser.cdp.evaluate("document.querySelector('.qi-legend').textContent")
    pressed = browser.cdp.evaluate("document.querySelector('.qi-cells button').getAttribute('aria-pressed')")
    shades = browser.cdp.evaluate("new Set(Array.from(document.querySelectorAll('.qi-t')).map(t => t.style.backgroundColor)).size")
    check(legend.startswith("Shading: layer") and pressed == "true" and shades > 5,
          f"{where}: choosing a cell shades the text by it ({shades} shades; was {before!r} at token 12)")
    # The legend's range is the cell's largest magnitude, which the tooltip's values never exceed.
    browser.hover('.qi-t[data-i="12"]')
    shown = browser.cdp.evaluate("""(() => { const m = document.querySelector('.qi-legend').textContent.match(/\+([0-9.]+)$/);
        const v = document.querySelector('.qi-tip').innerText.match(/= (-?[0-9.]+)/); return [m && Number(m[1]), v && Number(v[1])]; })()""")
    check(shown[0] is not None and shown[1] is not None and abs(shown[1]) <= shown[0] + 0.005 and shown[0] > 0,
          f"{where}: the legend's range (±{shown[0]}) bounds the tooltip's activation ({shown[1]})")

    # The keyboard: arrow keys move the tooltip from token to token, with focus.
    browser.click('.qi-t[data-i="20"]')
    browser.key("ArrowRight")
    focused = browser.cdp.evaluate("document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.i : null")
    tip = browser.cdp.evaluate("document.querySelector('.qi-tip').innerText")
    check(focused == "21" and "token 22 of" in tip, f"{where}: ArrowRight moves focus and the tooltip to the next token")
    # Shift+Tab twice leaves the text (no keyboard trap); one Tab comes back to the same token.
    browser.key("Tab", shift=True)
    browser.key("Tab", shift=True)
    outside = browser.cdp.evaluate("!document.querySelector('.qi-text').contains(document.activeElement)")
    browser.key("Tab")
    back = browser.cdp.evaluate("document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.i : null")
    check(outside and back == "21", f"{where}: Shift+Tab leaves the text and Tab returns to token 21 (got {back})")


def test(args, chromium):
    check = Checks()
    work = tempfile.mkdtemp(prefix="quill-browser-")
    server = None
    browser = None
    try:
        corpus = os.path.join(ROOT, "corpora", "lighthouse.txt")
        model = os.path.join(work, "model")
        run([args.quill, "train", corpus, "--out", model, "--embed", "16", "--hidden", "64", "--batch", "16", "--seq-len", "32",
             "--max-steps", "60", "--quiet"])
        page = os.path.join(work, "page.html")
        run([args.quill, "inspect", model, corpus, "--length", "3000", "--out", page])
        html = open(page, encoding="utf-8").read()
        data = json.loads(re.search(r'<script type="application/json" id="quill-inspect-data">(.*?)</script>', html, re.S).group(1))
        expected = open(corpus, encoding="utf-8").read()[:3000]
        check(data["text"] == expected, "the page carries the text verbatim")

        browser = Browser(chromium)
        browser.load("file://" + page)
        check(browser.wait_until("document.querySelectorAll('.qi-t').length > 0"), "file page: the renderer ran")
        check_view(browser, check, "file page", expected_text=expected)
        browser.resize(380, 800)
        overflow = browser.cdp.evaluate("document.documentElement.scrollWidth")
        check(overflow <= 381, f"file page: a 380-pixel window does not scroll sideways (content {overflow} px)")
        browser.resize(1280, 900)

        # The serve tab: the same view from POST /v1/inspect.
        server = subprocess.Popen([args.quill, "serve", model, "--port", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = server.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+)/", line)
        if not found:
            raise RuntimeError(f"quill serve did not start: {line.strip()}")
        pasted = expected[:1200]
        browser.load(found.group(1) + "/?inspect=" + urllib.parse.quote(pasted))
        check(browser.wait_until("document.querySelectorAll('#inspect-view .qi-t').length > 0"), "serve tab: the inspection arrives and renders")
        check(browser.cdp.evaluate("document.getElementById('tab-inspect').getAttribute('aria-selected')") == "true", "serve tab: the Inspect tab is selected")
        check_view(browser, check, "serve tab", expected_text=pasted)

        # A model with an attention head: hovering a token outlines what its head read most.
        attended = os.path.join(work, "attention")
        run([args.quill, "train", corpus, "--out", attended, "--embed", "16", "--hidden", "32", "--batch", "8", "--seq-len", "32",
             "--attention", "--attention-memory", "64", "--max-steps", "30", "--quiet"])
        page = os.path.join(work, "attention.html")
        run([args.quill, "inspect", attended, corpus, "--length", "1500", "--out", page])
        html = open(page, encoding="utf-8").read()
        data = json.loads(re.search(r'<script type="application/json" id="quill-inspect-data">(.*?)</script>', html, re.S).group(1))
        links = (data.get("attention") or {}).get("links") or []
        check(len(links) == len(data["ids"]) and data["attention"]["memory"] == 64,
              f"attention page: the data holds links for every token ({len(links)} of {len(data['ids'])})")
        browser.load("file://" + page)
        check(browser.wait_until("document.querySelectorAll('.qi-t').length > 0"), "attention page: the renderer ran")
        hovered = 80
        expected_links = links[hovered] if len(links) > hovered else []
        expected_marked = sorted({hovered - expected_links[k] for k in range(0, len(expected_links), 2)})
        browser.hover(f'.qi-t[data-i="{hovered}"]')
        marked = browser.cdp.evaluate("""Array.from(document.querySelectorAll('.qi-t.qi-att')).map(t => [Number(t.dataset.i),
            getComputedStyle(t).outlineStyle, getComputedStyle(t).outlineColor])""")
        positions = sorted(m[0] for m in marked)
        check(bool(marked) and positions == expected_marked and all(p <= hovered for p in positions),
              f"attention page: hovering token {hovered} outlines the {len(marked)} tokens its head read most: {positions}")
        check(all(m[1] == "solid" and "31, 157, 85" in m[2] for m in marked),
              f"attention page: the outlines are drawn, with opacity by weight: {sorted({m[2] for m in marked})[:3]}")
        tip = browser.cdp.evaluate("document.querySelector('.qi-tip').innerText")
        rows = browser.cdp.evaluate("document.querySelectorAll('.qi-tip .qi-att-list tr').length")
        check("attention read most" in tip and rows == len(marked), f"attention page: the tooltip lists them ({rows} rows)")
        browser.hover(f'.qi-t[data-i="{hovered + 1}"]')
        after = browser.cdp.evaluate("Array.from(document.querySelectorAll('.qi-t.qi-att')).map(t => Number(t.dataset.i))")
        check(bool(after) and max(after) <= hovered + 1, f"attention page: moving to token {hovered + 1} moves the outlines ({len(after)} tokens)")
    finally:
        if browser:
            browser.close()
        if server and server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)
    if check.failures:
        print(f"browser test: FAILED {len(check.failures)} of {check.count} checks")
        return 1
    print(f"browser test: passed ({check.count} checks in headless Chromium)")
    return 0


def screenshot(args, chromium):
    work = tempfile.mkdtemp(prefix="quill-shot-")
    browser = None
    try:
        page = os.path.join(work, "page.html")
        printed = run([args.quill, "inspect", args.checkpoint, args.text, "--start", str(args.start), "--length", str(args.length),
                       "--out", page]).stdout
        print(printed.strip())
        browser = Browser(chromium, args.width, args.height)
        browser.load("file://" + page)
        browser.wait_until("document.querySelectorAll('.qi-t').length > 0")
        data = json.loads(re.search(r'<script type="application/json" id="quill-inspect-data">(.*?)</script>',
                                    open(page, encoding="utf-8").read(), re.S).group(1))
        feature = next(f for f in data["features"] if f["name"] == args.feature)
        best = feature["cells"][0]
        cell = data["cells"][best["cell"]]
        print(f"shading by layer {cell['layer'] + 1} unit {cell['unit']} ({best['signal']}), "
              f"r = {best['r'] / 1000:+.3f} with {args.feature}")
        browser.click(f'.qi-cells button[data-cell="{best["cell"]}"]')
        browser.hover(f'.qi-t[data-i="{args.hover}"]')
        browser.cdp.evaluate("document.querySelector('.qi-text').scrollTop = 0")
        browser.hover(f'.qi-t[data-i="{args.hover}"]')
        browser.screenshot(args.screenshot)
        print(f"wrote {args.screenshot}")
    finally:
        if browser:
            browser.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    release, debug = os.path.join(ROOT, ".build/release/quill"), os.path.join(ROOT, ".build/debug/quill")
    parser.add_argument("--quill", default=release if os.path.exists(release) else debug)
    parser.add_argument("--screenshot", help="capture a page as this PNG instead of testing")
    parser.add_argument("--checkpoint")
    parser.add_argument("--text")
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--length", type=int, default=5000)
    parser.add_argument("--feature", default="position in line")
    parser.add_argument("--hover", type=int, default=40, help="token whose tooltip the screenshot shows")
    parser.add_argument("--width", type=int, default=1300)
    parser.add_argument("--height", type=int, default=860)
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("browser test: skipped (no chromium, chromium-browser or google-chrome on PATH; apt-get install chromium)")
        return 0
    if not os.path.exists(args.quill):
        print(f"browser test: {args.quill} is not built (swift build -c release)", file=sys.stderr)
        return 1
    if args.screenshot:
        if not (args.checkpoint and args.text):
            parser.error("--screenshot needs --checkpoint and --text")
        return screenshot(args, chromium)
    return test(args, chromium)


if __name__ == "__main__":
    sys.exit(main())
