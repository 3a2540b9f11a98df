"""The accessibility crawl: every role walks every page it can reach on the demo data.

Each role signs in and follows same-site links breadth-first (each path pattern, numbers
read as N, a few times). On every HTML page, at a 390 px phone width with every <details>
opened, it fails on: a 4xx/5xx answer, raw identifiers (`snake_case`) in visible text,
labels, buttons, options or the title, a form control without an accessible name, a page
wider than the phone, headings out of order, and axe-core violations of impact serious or
critical under WCAG 2.1 A/AA. Downloads are fetched for their status only. Every problem
of a run is reported at once, page by page.
"""

import re
from collections import Counter, defaultdict, deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser_support import demo_site, needs_chromium, sign_in

pytestmark = [pytest.mark.browser, needs_chromium]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
PER_PATTERN = 3
IDENTIFIER = re.compile(r"\b[a-z]+_[a-z_]+\b")
DOWNLOAD = re.compile(r"^/files/\d+$|/forms/[^/]+\.\w+$|^/export/")
NEVER_FOLLOW = {"/logout", "/oidc/login"}
ROLES = ("hsq.staff1", "hsq.supervisor", "moe.reviewer2", "moe.admin", "auditor")
# Pages each role must reach on the demo data, so a broken link cannot shrink the crawl.
EVERYONE = {
    "/", "/items/plan", "/items/plan/N", "/items/purchase", "/items/purchase/N",
    "/items/reimbursement", "/items/reimbursement/N", "/items/budget_change",
    "/items/budget_change/N", "/plans/N/budget", "/plans/N/content", "/activities",
    "/settings", "/plans/N/forms/budget.pdf",
}  # fmt: skip
REACHES = {
    "hsq.staff1": EVERYONE,
    "hsq.supervisor": EVERYONE | {"/plans/N/budget-change"},
    "moe.reviewer2": EVERYONE | {"/ministry"},
    "moe.admin": EVERYONE | {"/ministry"},
    "auditor": EVERYONE | {"/ministry"},
}
CLEAN_PAGE = """<!doctype html><html lang="zh-Hant-TW"><head><title>測試</title></head><body>
<main><h1>標題</h1><h2>小標</h2><form><label>名稱 <input name="title"></label>
<button>送出</button></form></main></body></html>"""
BROKEN_PAGE = """<!doctype html><html lang="zh-Hant-TW"><head><title>測試</title></head><body>
<main><h1>標題</h1><h1>又一個</h1><h3>跳級</h3><p>狀態：state_label</p>
<p style="color: #bbb">淺色文字</p><input name="title">
<label>狀態 <select name="s"><option>needs_collected</option></select></label>
<div class="wide" style="width: 600px">太寬</div></main></body></html>"""

# Runs in the page: opens every <details>, then gathers what the checks read.
PAGE_FACTS = """() => {
  for (const d of document.querySelectorAll('details')) d.open = true;
  const describe = (el) => {
    const tag = el.tagName.toLowerCase();
    const name = el.getAttribute('name');
    const id = el.id ? '#' + el.id : '';
    const type = tag === 'input' ? `[type=${el.type}]` : '';
    const form = el.form && el.form.id ? ` in form#${el.form.id}` : '';
    return `<${tag}${type}${id}${name ? ` name="${name}"` : ''}>${form}`;
  };
  const ownText = (label) => {
    const copy = label.cloneNode(true);
    for (const c of copy.querySelectorAll('input, select, textarea, button')) c.remove();
    return copy.textContent;
  };
  const nameOf = (el) => {
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\\s+/).map((i) => document.getElementById(i)?.textContent || '').join(' ');
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    const labels = [...(el.labels || [])].map(ownText).join(' ');
    if (labels.trim()) return labels;
    if (el.tagName === 'BUTTON') return el.textContent;
    if (['submit', 'button', 'reset'].includes(el.type)) return el.value;
    return '';
  };
  const controls = [];
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.type === 'hidden') continue;
    controls.push({what: describe(el), name: nameOf(el).replace(/\\s+/g, ' ').trim()});
  }
  const outermostWide = [];
  const edge = document.documentElement.clientWidth;
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    const parent = el.parentElement.getBoundingClientRect().right;
    if (right > edge + 1 && parent <= edge + 1) outermostWide.push(
      `${describe(el)}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} ` +
      `(${Math.round(right)} px)`);
  }
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
    .map((h) => +h.tagName[1]);
  return {
    title: document.title,
    text: document.body.innerText,
    // A refusal's rule id is shown on purpose, small, after its zh-TW sentence.
    ruleIds: [...document.querySelectorAll('small.rule')].map((e) => e.innerText),
    options: [...document.querySelectorAll('option')].map((o) => o.textContent),
    controls,
    width: document.documentElement.scrollWidth,
    wide: outermostWide.slice(0, 5),
    headings,
    main: document.querySelectorAll('main').length,
  };
}"""

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `axe ${v.id} (${v.impact}): ${v.help} — ` +
         v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ') +
         (v.nodes.length > 4 ? ` and ${v.nodes.length - 4} more` : ''));
}"""

LINKS = """() => {
  const urls = [...document.querySelectorAll('a[href]')].map((a) => a.href);
  for (const form of document.querySelectorAll('form')) {
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'get') continue;
    const url = new URL(form.action || location.href);
    url.search = new URLSearchParams(new FormData(form)).toString();
    urls.push(url.href);
  }
  return urls;
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("crawl")) as started:
        yield started


@pytest.fixture
def phone(browser):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run ./dev (npm ci installs axe-core)", pytrace=False)
    # The pages forbid inline scripts (Content-Security-Policy); axe is injected as one.
    context = browser.new_context(
        locale="zh-TW", timezone_id="Asia/Taipei", viewport=PHONE, bypass_csp=True
    )
    yield context
    context.close()


def _identifiers(where: str, text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        for match in IDENTIFIER.findall(line):
            found.append(f"identifier `{match}` in {where}: {line.strip()[:90]!r}")
    return found


def page_problems(page) -> list[str]:
    """What is wrong with the page now in the browser (details opened as a side effect)."""
    facts = page.evaluate(PAGE_FACTS)
    problems = _identifiers("the title", facts["title"])
    text = facts["text"]
    for rule_id in facts["ruleIds"]:
        text = text.replace(rule_id, "")
    problems += _identifiers("visible text", text)
    for option in facts["options"]:
        problems += _identifiers("an option", option)
    unlabelled = [c["what"] for c in facts["controls"] if not c["name"]]
    if unlabelled:
        problems.append("no accessible label: " + ", ".join(unlabelled))
    for control in facts["controls"]:
        problems += _identifiers(f"the label of {control['what']}", control["name"])
    if not facts["title"].strip():
        problems.append("empty <title>")
    if facts["main"] != 1:
        problems.append(f"{facts['main']} <main> landmarks (want 1)")
    levels = facts["headings"]
    if levels.count(1) != 1:
        problems.append(f"{levels.count(1)} <h1> headings (want 1)")
    for before, after in zip([0, *levels], levels, strict=False):
        if after > before + 1:
            problems.append(f"heading level skips from h{before} to h{after}")
            break
    if facts["width"] > PHONE["width"]:
        widest = "; ".join(facts["wide"]) or "no single element"
        problems.append(
            f"{facts['width']} px wide at a {PHONE['width']} px viewport (too wide: {widest})"
        )
    page.add_script_tag(path=str(AXE))
    problems += page.evaluate(RUN_AXE, AXE_TAGS)
    return sorted(set(problems), key=problems.index)


def _pattern(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


def crawl(context, base: str, start: str) -> tuple[dict[str, list[str]], set[str]]:
    """Breadth-first over same-site links from start: each page's problems, the patterns seen."""
    problems: dict[str, list[str]] = defaultdict(list)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(f"script error: {e}"))
    visits: Counter[str] = Counter()
    queue, queued = deque([(start, "")]), {start}
    while queue:
        path, origin = queue.popleft()
        pattern = _pattern(path)
        download = DOWNLOAD.search(urlsplit(path).path)
        if visits[pattern] >= (1 if download else PER_PATTERN):
            continue
        visits[pattern] += 1
        came = f" (linked from {origin})" if origin else ""
        if download:
            answer = context.request.get(base + path)
            if answer.status >= 400:
                problems[path].append(f"download answered HTTP {answer.status}{came}")
            continue
        response = page.goto(base + path)
        if response.status >= 400:
            problems[path].append(f"HTTP {response.status}{came}")
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        problems[path] += page_problems(page)
        problems[path] += errors
        errors.clear()
        for url in page.evaluate(LINKS):
            parts = urlsplit(url)
            if parts.netloc != urlsplit(base).netloc or parts.path in NEVER_FOLLOW:
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if link not in queued:
                queued.add(link)
                queue.append((link, path))
    page.close()
    return {p: found for p, found in problems.items() if found}, set(visits)


def _report(who: str, problems: dict[str, list[str]]) -> str:
    lines = [f"{who}: {sum(map(len, problems.values()))} problems on {len(problems)} pages"]
    for path, found in problems.items():
        lines.append(f"  {path}")
        lines += [f"    - {p}" for p in found]
    return "\n".join(lines)


def test_sign_in_page_passes_the_checks(site, phone):
    base, _ = site
    problems, _ = crawl(phone, base, "/login")
    assert not problems, _report("signed out", problems)


def test_error_pages_are_pages_in_chinese(site, phone):
    """An unknown address and a malformed query answer with the error page, not JSON."""
    base, _ = site
    page = phone.new_page()
    sign_in(page, base, "hsq.staff1")
    for path, status, says in (
        ("/no-such-page", 404, "找不到此頁面"),
        ("/activities?county_id=x", 422, "資料格式不正確"),
    ):
        assert page.goto(base + path).status == status
        assert says in page.locator("main").inner_text()
        assert page_problems(page) == [], path


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_reaches_passes_the_checks(site, phone, username):
    base, _ = site
    page = phone.new_page()
    sign_in(page, base, username)
    page.close()
    problems, patterns = crawl(phone, base, "/")
    if missed := sorted(REACHES[username] - patterns):
        problems["(the crawl itself)"] = [f"never reached: {', '.join(missed)}"]
    assert not problems, _report(username, problems)


def test_the_checks_name_each_kind_of_problem(browser):
    """The checks can fail: a page with one of each problem is reported for each."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_content(BROKEN_PAGE)
    problems = page_problems(page)
    clean = context.new_page()
    clean.set_content(CLEAN_PAGE)
    assert page_problems(clean) == []
    context.close()
    expected = [
        "identifier `state_label` in visible text",
        "identifier `needs_collected` in an option",
        'no accessible label: <input[type=text] name="title">',
        "heading level skips from h1 to h3",
        "px wide at a 390 px viewport (too wide: <div>.wide",
        "axe color-contrast (serious)",
        "axe label (critical)",
        "2 <h1> headings",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
