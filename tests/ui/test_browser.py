"""The web chat in a real browser: headless Debian Chromium driven by Playwright.

A real ``qa serve`` runs on a free port over the demo articles plus a hostile one; the
tests ask, follow up, upload, filter and look for injected script. Screenshots of the
main screens go to ``docs/screens/`` (the README shows them); measurements to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT, SHARED, answers_tal_rifaat
from tests.serving import QA, served

pytestmark = [pytest.mark.model, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
HOSTILE = """---
title: <img src=x onerror="window.__xss=1"> Council <b>votes</b>
source: Hostile Gazette
url: javascript:window.__xss=2
date: 2024-07-01
---
The council voted on the <script>window.__xss=3</script> lantern festival budget on Tuesday.
Organisers said the lantern festival would draw <img src=x onerror="window.__xss=4"> ten thousand visitors.
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed: run `make test`")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package")
    root = tmp_path_factory.mktemp("browser")
    articles = root / "articles"
    shutil.copytree(DEMO, articles)
    (articles / "hostile.md").write_text(HOSTILE)
    env = {**os.environ, "QA_INDEX_DIR": str(root / "index")}
    subprocess.run([QA, "ingest", "--quiet", str(articles)], env=env, cwd=ROOT, check=True)
    with served(env, root / "serve.log") as url:
        yield url, root


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    url, _ = server
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#qa-question textarea", timeout=60_000)
    yield page
    page.close()


def ask(page, question: str, cards_before: int = 0):
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#qa-chat .qa-card, #qa-chat .qa-none, #qa-chat .qa-empty').length > n",
        arg=cards_before, timeout=60_000)
    page.wait_for_timeout(300)


def upload(page, path: Path, text: str) -> None:
    """Write an article file, add it from the page and wait for the ingest summary (on a page
    whose summary does not say "added" yet)."""
    path.write_text(text)
    if not page.locator("#qa-add").is_visible():
        page.click("text=Add articles")  # the panel starts collapsed
    page.locator("#qa-files input[type=file]").set_input_files(str(path))
    page.click("#qa-add")
    page.wait_for_function("() => document.querySelector('#qa-upload-summary').innerText.includes('added')",
                           timeout=90_000)


def _in_view(page, selector: str) -> bool:
    box = page.locator("#qa-chat").bounding_box()
    lead = page.locator(selector).last.bounding_box()
    return box["y"] <= lead["y"] <= box["y"] + box["height"]


SCREENS = ROOT / "docs" / "screens"  # the docs show what the browser tests saw, never an older picture


def shot(page, name: str) -> None:
    SCREENS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def test_empty_state(page):
    assert page.locator("#qa-chat .qa-card").count() == 0
    shot(page, "empty-state")


def test_tal_rifaat_card_with_the_sentence_highlighted(page):
    ask(page, "who holds Tal Rifaat?")
    first = page.locator("#qa-chat .qa-card").first
    assert "Turkey-backed fighters take Tal Rifaat" in first.locator(".qa-card-head").inner_text()
    assert first.locator(".qa-rank").inner_text() == "[1]"
    assert "Demo Wire" in first.locator(".qa-meta").inner_text()
    # the answer first: the short answer, the number of its card, the sentence that holds it
    short = page.locator("#qa-chat .qa-short").first
    assert "Turkey" in short.locator("strong").inner_text()
    cite = short.locator("a.qa-cite")
    assert cite.inner_text() == "[1]"
    lead = page.locator("#qa-chat .qa-lead").first.inner_text()
    assert "Tal Rifaat" in lead and short.locator("strong").inner_text() in lead
    assert lead in first.locator("mark.qa-answer").first.text_content()  # the card marks it (behind Show passage)
    page.wait_for_timeout(300)
    assert _in_view(page, "#qa-chat .qa-lead")  # the chat scrolls to the answer, not the last card
    shot(page, "answer-tal-rifaat")
    # the citation points at its card: following it brings card [1] into view
    target = cite.get_attribute("href")
    assert target.startswith("#") and page.locator(f"#qa-chat {target}").count() == 1
    assert page.locator(f"#qa-chat {target} .qa-rank").inner_text() == "[1]"
    for _ in range(3):
        ask(page, "what did the central bank do with rates?", page.locator("#qa-chat .qa-card").count())
    cite.click()
    page.wait_for_timeout(500)
    assert _in_view(page, f"#qa-chat {target}")
    # below the chat's "Answers" label, not under it, and outlined: the user sees which card
    card = page.locator(f"#qa-chat {target}").bounding_box()
    label = page.locator("#qa-chat label, #qa-chat [data-testid=block-label]").first.bounding_box()
    assert card["y"] >= label["y"] + label["height"], (card, label)
    outline = page.locator(f"#qa-chat {target}").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
    shot(page, "citation-jump")


def test_cards_are_collapsed_and_card_one_does_not_repeat_the_lead(page):
    ask(page, "who holds Tal Rifaat?")
    cards = page.locator("#qa-chat .qa-card")
    first, second = cards.nth(0), cards.nth(1)
    lead = page.locator("#qa-chat .qa-lead").first.inner_text()
    assert first.locator(".qa-key").count() == 0, "the lead quotes card [1]'s sentence: not again"
    if page.locator("#qa-chat details.qa-less").count():  # card [2] may be folded under "Less related"
        page.locator("#qa-chat details.qa-less > summary").first.click()
    assert second.locator(".qa-key mark.qa-answer").is_visible()  # the others show the sentence that answers
    for card in (first, second):
        assert not card.locator(".qa-body").first.is_visible()  # the passage waits behind "Show passage"
    button = first.get_by_text("Show passage")
    assert button.bounding_box()["height"] >= 24
    button.click()
    assert first.locator(".qa-body").first.is_visible()
    assert lead in first.locator(".qa-body mark.qa-answer").first.inner_text()
    assert not second.locator(".qa-body").first.is_visible()
    shot(page, "cards-collapsed")


def test_copy_citation_puts_the_numbered_citation_on_the_clipboard(browser, server):
    url, _ = server
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"],
                                  viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#qa-question textarea", timeout=60_000)
    ask(page, "who holds Tal Rifaat?")
    lead = page.locator("#qa-chat .qa-lead").first.inner_text()
    page.locator("#qa-chat .qa-card").first.get_by_role("button", name="Copy citation").click()
    page.wait_for_function("() => document.querySelector('#qa-chat .qa-copy').textContent.startsWith('Copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("[1] \u201cTurkey-backed fighters take Tal Rifaat")  # the card's number and title
    assert "Demo Wire, 2024-12-02." in copied and "https://demo.article-qa.example/2024/12/02/tal-rifaat" in copied
    assert copied.endswith(f"\u201c{' '.join(lead.split())}\u201d")  # the sentence the answer quotes, only it
    context.close()


def test_a_question_the_articles_cannot_answer_is_refused(page):
    ask(page, "what is the capital of Australia?")
    assert "Not in your articles" in page.locator("#qa-chat .qa-none").first.inner_text()
    assert page.locator("#qa-chat .qa-short, #qa-chat .qa-lead").count() == 0  # nothing quoted as an answer
    shot(page, "refused-capital")


def test_the_answer_says_how_sure_it_is(page):
    """One probability, said in words: a likely answer, an unsure one, and under the bar no
    direct answer (the nearest passages shown as such)."""
    ask(page, "how many visitors came to the museum on the first day?")
    sure = page.locator("#qa-chat .qa-short .qa-sure").last
    assert "12,000" in page.locator("#qa-chat .qa-short strong").last.inner_text()
    assert sure.inner_text().startswith("likely answer, probability 0.")
    assert "qa-likely" in sure.get_attribute("class")
    shot(page, "answer-likely")
    page.click("#qa-new-chat")  # each asked on its own, not as a follow-up
    page.wait_for_function("() => document.querySelectorAll('#qa-chat .qa-card').length === 0")
    ask(page, "who runs the city museum?")
    sure = page.locator("#qa-chat .qa-short .qa-sure").last
    assert "Hanne Vos" in page.locator("#qa-chat .qa-short strong").last.inner_text()
    assert sure.inner_text().startswith("unsure answer, probability 0.") and "qa-unsure" in sure.get_attribute("class")
    shot(page, "answer-unsure")
    page.click("#qa-new-chat")
    page.wait_for_function("() => document.querySelectorAll('#qa-chat .qa-card').length === 0")
    ask(page, "what is the capital of Australia?")
    refusal = page.locator("#qa-chat .qa-none").last.inner_text()
    assert "Not in your articles" in refusal and "No direct answer" in refusal and "not answers" in refusal
    shot(page, "answer-refused")


def test_follow_ups_answer_the_new_question_and_new_chat_clears_it(page):
    ask(page, "who holds Tal Rifaat?")
    cards = page.locator("#qa-chat .qa-card").count()
    ask(page, "and who took Aleppo?", cards)  # stands on its own: searched as asked
    assert "swept into Aleppo itself" in page.locator("#qa-chat .qa-lead").last.inner_text()
    cards = page.locator("#qa-chat .qa-card").count()
    ask(page, "when did that happen?", cards)  # leans on the conversation: the latest subject is carried
    assert "(Aleppo)" in page.locator("#qa-chat .qa-searched").last.inner_text()
    assert "late last week" in page.locator("#qa-chat .qa-lead").last.inner_text()
    # the relative time is said with the days it names, counted from the article's date
    assert "late last week (2024-11-28 to 2024-12-01)" in page.locator("#qa-chat .qa-short").last.inner_text()
    shot(page, "follow-up-aleppo")
    # the rewrite can be taken back: asked again without the conversation, searched as typed
    searched = page.locator("#qa-chat .qa-searched").count()
    replies = page.locator("#qa-chat .qa-card, #qa-chat .qa-none").count()
    page.locator("#qa-chat .qa-searched").last.get_by_role("button", name="Ask without the conversation").click()
    page.wait_for_function("n => document.querySelectorAll('#qa-chat .qa-card, #qa-chat .qa-none').length > n",
                           arg=replies, timeout=60_000)
    assert page.locator("#qa-chat .qa-searched").count() == searched  # the new reply says no rewrite
    assert page.locator("#qa-chat .qa-q").last.inner_text() == "when did that happen?"
    page.click("#qa-new-chat")
    page.wait_for_function("() => document.querySelectorAll('#qa-chat .qa-card').length === 0")
    ask(page, "when did that happen?")
    assert page.locator("#qa-chat .qa-searched").count() == 0  # no earlier subject after a new chat


def test_an_off_topic_question_is_refused_plainly(page):
    ask(page, "what is the boiling point of tungsten?")
    assert "Not in your articles" in page.locator("#qa-chat .qa-none").first.inner_text()
    assert page.locator("#qa-chat .qa-lead").count() == 0  # nothing is quoted as an answer
    shot(page, "off-topic-refused")


def test_errors_are_messages_and_the_chat_stays_usable(page):
    ask(page, "who holds Tal Rifaat?")
    cards = page.locator("#qa-chat .qa-card").count()
    box = page.locator("#qa-question textarea")
    box.fill("")
    box.press("Enter")  # an empty submit does nothing
    page.wait_for_timeout(1000)
    shot(page, "after-empty-submit")
    assert page.locator("#qa-chat .qa-card").count() == cards
    assert page.locator(".error, [data-testid=error]").count() == 0 and box.is_editable()
    page.get_by_text("Filters", exact=True).first.click()
    since = page.locator("#qa-since textarea, #qa-since input").first
    since.fill("Dec 2024")
    box.fill("who won the cup?")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('#qa-filter-note').innerText.includes('not a date')")
    assert page.locator("#qa-filter-note").inner_text().startswith("From: 'Dec 2024' is not a date")
    assert page.locator("#qa-chat .qa-card").count() == cards and box.input_value() == "who won the cup?"
    since.fill("")
    ask(page, "who won the cup?", cards)  # fixed: the same box asks again
    assert page.locator("#qa-filter-note").inner_text().strip() == ""
    pasted = " ".join(["The national cup final ended with a late header from a defender at a corner."] * 40)
    before = page.locator("#qa-chat .qa-card, #qa-chat .qa-none, #qa-chat .qa-empty").count()
    ask(page, pasted + " Who scored it?", before)  # a pasted paragraph
    assert "Moretti" in page.locator("#qa-chat .qa-card").last.inner_text() or \
        "Moretti" in page.locator("#qa-chat .qa-lead").last.inner_text()
    assert page.locator(".error, [data-testid=error]").count() == 0


def test_hostile_article_renders_as_inert_text(page):
    ask(page, "lantern festival budget council vote")
    first = page.locator("#qa-chat .qa-card").first
    first.get_by_text("Show passage").click()
    text = first.inner_text()
    assert "<script>window.__xss=3</script>" in text and '<img src=x onerror="window.__xss=4">' in text
    assert "<b>votes</b>" in first.locator(".qa-card-head").inner_text()
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None and page.dialogs == []
    assert first.locator(".qa-card-head a").count() == 0  # the javascript: link is not a link
    shot(page, "hostile-article-inert")


def test_filters_apply_to_the_next_question(page):
    page.get_by_text("Filters", exact=True).first.click()
    page.locator("#qa-sources input").click()  # the outlets are filled in when the page loads
    assert page.locator("[role=option]", has_text="Hostile Gazette").count() == 1
    page.keyboard.press("Escape")
    page.locator("#qa-until textarea, #qa-until input").first.fill("2024-06-30")
    ask(page, "who holds Tal Rifaat?")
    dates = page.locator("#qa-chat .qa-card .qa-meta").all_inner_texts()
    assert dates and all("2024-12-02" not in d for d in dates)


def test_filters_are_kept_across_a_reload(page):
    page.get_by_text("Filters", exact=True).first.click()
    page.locator("#qa-until textarea, #qa-until input").first.fill("2024-06-30")
    page.locator("#qa-as-of textarea, #qa-as-of input").first.fill("2024-07-01")
    page.get_by_label("newest first").check()
    page.wait_for_timeout(800)  # the browser keeps them as they change
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#qa-question textarea", timeout=60_000)
    page.get_by_text("Filters", exact=True).first.click()
    page.wait_for_function("() => document.querySelector('#qa-until textarea, #qa-until input')?.value === "
                           "'2024-06-30'", timeout=10_000)
    assert page.locator("#qa-as-of textarea, #qa-as-of input").first.input_value() == "2024-07-01"
    assert page.get_by_label("newest first").is_checked()
    ask(page, "who holds Tal Rifaat?")  # and they apply
    assert "as of 2024-07-01" in page.locator("#qa-chat .qa-filters").last.inner_text()
    shot(page, "filters-kept")


def test_upload_an_article_and_find_it(page, server):
    _, root = server
    upload(page, root / "glacier-retreat.md", "# Glacier retreats forty metres\n\nBy Ana Berg\n\nSeptember 3, 2024\n\n"
                     "The Morteratsch glacier retreated forty metres this summer, the survey office said, "
                     "the largest loss since measurements began in 1878.\n")
    summary = page.locator("#qa-upload-summary").inner_text()
    assert "1 added" in summary and "0 failed" in summary
    shot(page, "upload-summary")
    ask(page, "how far did the Morteratsch glacier retreat?")
    first = page.locator("#qa-chat .qa-card").first
    assert "Glacier retreats forty metres" in first.inner_text()
    assert "retreated forty metres" in first.locator("mark.qa-answer").first.text_content()


def test_writes_through_the_page_go_on_after_another_process_reads_the_index(page, server):
    """A write through the server, `qa info` and `qa list` from another process,
    then searches and writes through the server again (the reader's close once deleted the
    server's WAL: every later search failed with "disk I/O error")."""
    from gradio_client import Client

    url, root = server
    env = {**os.environ, "QA_INDEX_DIR": str(root / "index")}
    upload(page, root / "harbour-crane.md", "# Harbour buys an electric crane\n\nOctober 2, 2024\n\n"
                     "The harbour board bought an electric crane for the north quay, the first of its kind in "
                     "the region, the board's chair said on Wednesday.\n")
    for command in (["info"], ["list"]):
        done = subprocess.run([QA, *command], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert "Harbour buys an electric crane" in done.stdout
    client = Client(url, verbose=False)
    for _ in range(3):
        found = client.predict(question="what did the harbour board buy for the north quay?", k=1, since="",
                               until="", sources=[], order="relevance", api_name="/search")
        assert found["passages"][0]["title"] == "Harbour buys an electric crane"
    page.reload(wait_until="domcontentloaded")  # a fresh summary: upload() waits for its "added"
    page.wait_for_selector("#qa-question textarea", timeout=60_000)
    upload(page, root / "quay-lights.md", "# New lights on the north quay\n\nOctober 9, 2024\n\n"
                     "Forty new lamps were fitted along the north quay this week, the harbour engineer said, "
                     "after fishermen complained about the dark.\n")
    assert "1 added" in page.locator("#qa-upload-summary").inner_text()
    ask(page, "how many lamps were fitted along the north quay?")
    assert "New lights on the north quay" in page.locator("#qa-chat .qa-card").first.inner_text()
    checked = subprocess.run([QA, "check"], env=env, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0 and "everything is intact" in checked.stdout, checked.stdout


def test_http_api_returns_structured_passages(server):
    from gradio_client import Client

    url, _ = server
    answer = Client(url, verbose=False).predict(
        question="who holds Tal Rifaat?", k=2, since="", until="", sources=[], order="relevance",
        api_name="/search")
    assert answer["answered"] is True and answer["searched"] == "who holds Tal Rifaat?"
    first = answer["passages"][0]
    assert first["title"].startswith("Turkey-backed fighters take Tal Rifaat") and first["source"] == "Demo Wire"
    assert answers_tal_rifaat(first["answer"]) and len(answer["passages"]) == 2
    start, end = first["answer_span"]
    assert first["text"][start:end] == first["answer"]


def test_index_panel_lists_articles_and_removes_one(page, server):
    _, root = server
    upload(page, root / "ferry-strike.md", "# Ferry crews strike over rosters\n\nSeptember 9, 2024\n\n"
                     "Crews on the Skerry Isles ferries walked out on Monday over new rosters, stranding "
                     "about 2,000 passengers, the operator Northsound Lines said.\n")
    page.click("text=What the index holds")
    info = page.locator("#qa-info")
    # the panel shows the upload once it has refreshed: count the articles from then on (read
    # before, a busy machine gave the count without it)
    page.wait_for_function("() => document.querySelector('#qa-articles')?.innerText.includes('Ferry crews strike')",
                           timeout=30_000)
    held = int(re.search(r"(\d+) articles", info.inner_text()).group(1))
    # the list leads with the title (visible without scrolling sideways), in plain words
    headers = [h.strip().lower() for h in page.locator("#qa-articles th").all_inner_texts() if h.strip()]
    assert headers[0].startswith("title"), headers
    assert "model" not in info.inner_text() and "token" not in info.inner_text()
    choice = page.locator("#qa-remove-choice input")
    choice.click()
    choice.fill("Ferry crews")
    page.locator("[role=option]", has_text="Ferry crews strike").first.click()
    page.click("#qa-remove")  # asks first
    page.wait_for_selector("#qa-remove-yes", state="visible")
    assert "Remove Ferry crews strike over rosters" in page.locator("#qa-removed").inner_text()
    assert f"{held} articles" in info.inner_text()  # nothing removed yet
    page.click("#qa-remove-yes")
    page.wait_for_function(f"() => document.querySelector('#qa-info').innerText.includes('{held - 1} articles')",
                           timeout=30_000)
    assert page.locator("#qa-removed").inner_text().startswith("Removed Ferry crews strike over rosters")
    shot(page, "index-panel-after-remove")
    ask(page, "why did the Skerry Isles ferry crews walk out?")
    assert "Ferry crews strike" not in page.locator("#qa-chat .qa-card").first.inner_text()


def test_the_page_on_a_phone_and_for_a_screen_reader(browser, server):
    url, _ = server
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(url, wait_until="domcontentloaded")
    phone.wait_for_selector("#qa-question textarea", timeout=60_000)
    # accessible names, and the ask box before the upload panel, which starts collapsed
    assert phone.get_by_role("textbox", name="Question").count() == 1
    assert phone.get_by_role("button", name="Ask", exact=True).count() == 1
    phone.wait_for_selector("#qa-upload-panel", state="attached", timeout=60_000)  # rendered after the box
    order = phone.evaluate("() => document.querySelector('#qa-question').compareDocumentPosition("
                           "document.querySelector('#qa-upload-panel'))")
    assert order & 4, "the question box comes first"  # DOCUMENT_POSITION_FOLLOWING
    assert not phone.locator("#qa-add").is_visible()
    ask(phone, "who holds Tal Rifaat?")
    inner = phone.evaluate("""() => [...document.querySelectorAll('*')].filter(e => {
        const y = getComputedStyle(e).overflowY;
        return (y === 'auto' || y === 'scroll') && e.scrollHeight > e.clientHeight + 2; }).length""")
    assert inner == 0, "one scroll area: the page"
    width = phone.locator("#qa-chat .qa-card").first.bounding_box()["width"]
    assert width >= 0.85 * 390, width
    # three answers on: the question box is still on screen, and still answers
    for question in ("what interest rate did the central bank set?", "how many parking spaces will the bike lanes remove?"):
        ask(phone, question, cards_before=phone.locator("#qa-chat .qa-card, #qa-chat .qa-none").count())
    page_height = phone.evaluate("() => document.documentElement.scrollHeight")
    box = phone.locator("#qa-question textarea").bounding_box()
    assert page_height > 2 * 844 and 0 <= box["y"] and box["y"] + box["height"] <= 844, (page_height, box)
    ask_button = phone.locator("#qa-ask").bounding_box()
    assert ask_button["y"] + ask_button["height"] <= 844 and ask_button["height"] >= 24
    shot(phone, "phone")
    # the last controls of the page scroll clear of the fixed composer (a click lands on them, not on it)
    phone.click("text=What the index holds", timeout=10_000)
    phone.locator("#qa-info").wait_for(state="visible", timeout=10_000)
    phone.close()


# Ten news quiz questions, each carrying a pronoun, asked one after another in one chat (the
# words that made earlier versions carry one question's subject into the next).
TEN = ["Which team won the 2022 NHL Stanley Cup Finals?", "country is now “bankrupt,”", "Vin Scully died",
       "most nominations for the 2022 Emmy Awards", "legalizing jaywalking", "Liz Truss became",
       "Loretta Lynn died", "Hurricane Roslyn made landfall", "Bob McGrath died", "Artemis I launch"]
DISTRACTORS = 20  # other realtimeqa-dev articles in the index
RUSSIA = 15  # realtimeqa-dev articles that name Russia


@pytest.fixture(scope="module")
def news_server(tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed: run `make test`")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package")
    data = SHARED / "data" / "realtimeqa-dev"
    if not data.is_dir():
        pytest.skip(f"shared data set not found: {data} (the ../shared folder beside the project)")
    questions = [json.loads(line) for line in open(data / "questions.jsonl", encoding="utf-8")]
    asked = [next(q for q in questions if part in q["question"]) for part in TEN]
    gold = {q["article_id"] for q in asked}
    articles = [json.loads(line) for line in open(data / "articles.jsonl", encoding="utf-8")]
    chosen = [a for a in articles if a["id"] in gold] + [a for a in articles if a["id"] not in gold][:DISTRACTORS]
    # stories that speak of Russia (NATO, Ukraine): what a follow-up about Russia must not drift to
    chosen += [a for a in articles if "Russia" in a["text"] and a not in chosen][:RUSSIA]
    # earthquakes of many years, for a question asked "as of" a day: "...this week?"
    chosen += [a for a in articles if "earthquake" in a["title"].lower() and a not in chosen]
    root = tmp_path_factory.mktemp("news")
    (root / "news.jsonl").write_text("".join(json.dumps(a) + "\n" for a in chosen))
    env = {**os.environ, "QA_INDEX_DIR": str(root / "index")}
    subprocess.run([QA, "ingest", "--quiet", str(root / "news.jsonl"), str(DEMO)], env=env, cwd=ROOT, check=True)
    with served(env, root / "serve.log") as url:
        yield url, [q["question"] for q in asked]


def test_the_syria_thread_holds_on_a_news_archive(browser, news_server):
    """On realtimeqa-dev articles plus the demo, each follow-up leads from the
    Syria story; "when did that happen?" is answered (not "Not in your articles") and "what
    did Russia do?" stays with Syria instead of a NATO story that names Russia more often."""
    url, _ = news_server
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#qa-question textarea", timeout=60_000)

    def turn(question: str):
        ask(page, question, page.locator("#qa-chat .qa-card, #qa-chat .qa-none").count())
        return page.locator("#qa-chat .message.bot, #qa-chat [data-testid=bot]").last

    reply = turn("who holds Tal Rifaat?")
    assert "Turkey" in reply.locator(".qa-short").inner_text()
    reply = turn("and who took Aleppo?")
    assert "Hayat Tahrir al-Sham" in reply.locator(".qa-short").inner_text()
    reply = turn("when did that happen?")
    assert reply.locator(".qa-none").count() == 0 and "late last week" in reply.locator(".qa-lead").inner_text()
    reply = turn("what did Russia do?")
    first = reply.locator(".qa-card").first
    assert "Tal Rifaat" in first.locator(".qa-card-head").inner_text(), first.inner_text()
    marked = first.locator("mark.qa-answer").first.text_content() if reply.locator(".qa-lead").count() == 0 \
        else reply.locator(".qa-lead").inner_text()
    assert "Russian allies answered the advance with air strikes" in marked, marked
    shot(page, "syria-thread-news-archive")
    page.close()


def test_as_of_a_day_this_week_means_that_week(browser, news_server):
    """Asked as of 2022-07-29, "...7.0-magnitude earthquake this week?" leads
    with the 2022-07-26 Philippines story, not a 2016 quake that matches the words better."""
    url, _ = news_server
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#qa-question textarea", timeout=60_000)
    page.get_by_text("Filters", exact=True).first.click()
    page.locator("#qa-as-of textarea, #qa-as-of input").first.fill("2022-07-29")
    ask(page, "Which country was shaken by a 7.0-magnitude earthquake this week?")
    first = page.locator("#qa-chat .qa-card").first
    assert "Philippines" in first.locator(".qa-card-head").inner_text()
    assert "2022-07-26" in first.locator(".qa-meta").inner_text()
    assert "Filters: as of 2022-07-29" in page.locator("#qa-chat .qa-filters").last.inner_text()
    others = page.locator("#qa-chat .qa-other").all_inner_texts()  # other articles' answers, with outlet and date
    assert all(re.match(r"Also — [^:]+, \d{4}-\d\d-\d\d: \S.* \[\d+\]$", o) for o in others), others
    shot(page, "as-of-this-week")
    page.close()


def test_ten_questions_in_one_chat_are_answered_as_when_asked_alone(browser, news_server):
    from gradio_client import Client

    url, questions = news_server
    client = Client(url, verbose=False)
    alone = [client.predict(question=q, k=5, since="", until="", sources=[], order="relevance",
                            api_name="/search")["passages"][0]["title"] for q in questions]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#qa-question textarea", timeout=60_000)
    in_chat = []
    for question in questions:
        ask(page, question, page.locator("#qa-chat .qa-card, #qa-chat .qa-none").count())
        reply = page.locator("#qa-chat .message.bot, #qa-chat [data-testid=bot]").last
        in_chat.append(page.locator("#qa-chat .qa-card .qa-card-head").nth(
            page.locator("#qa-chat .qa-card").count() - len(reply.locator(".qa-card").all())).inner_text())
    assert page.locator("#qa-chat .qa-searched").count() == 0, "every question was searched as asked"
    assert [t.split(" ", 1)[1].strip() for t in in_chat] == alone
    shot(page, "ten-questions-one-chat")
    page.close()


CONTRAST = """() => {
  const rgb = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const over = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1});
  // as drawn: every ancestor's background over the page's white, and every ancestor's opacity
  // blending what it draws (its background, and the text inside) with what lies under it
  const mix = (top, under, o) => ({r: top.r * o + under.r * (1 - o), g: top.g * o + under.g * (1 - o),
    b: top.b * o + under.b * (1 - o), a: 1});
  const drawn = (el, fg) => { const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    const paint = (i, under) => { const s = getComputedStyle(chain[i]); let inner = under;
      const c = rgb(s.backgroundColor); if (c && c.a > 0) inner = over(c, inner);
      inner = i === chain.length - 1 ? (fg ? over(fg, inner) : inner) : paint(i + 1, inner);
      return mix(inner, under, Number(s.opacity)); };
    return paint(0, {r: 255, g: 255, b: 255, a: 1}); };
  const background = (el) => drawn(el, null);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const out = [];
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none" && Number(s.opacity) > 0.1; };
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !visible(el) || el.closest(".qa-citation, [aria-hidden=true], footer")) continue;
    const s = getComputedStyle(el); const fg = rgb(s.color); if (!fg) continue;
    const bg = background(el); const size = parseFloat(s.fontSize); const bold = Number(s.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const value = ratio(drawn(el, fg), bg);
    out.push({text: el.textContent.trim().slice(0, 40), cls: String(el.className).slice(0, 40), ratio: value,
              needed: large ? 3 : 4.5});
  }
  for (const input of document.querySelectorAll("textarea[placeholder], input[placeholder]")) {
    if (!visible(input)) continue;
    const fg = rgb(getComputedStyle(input, "::placeholder").color); const bg = background(input);
    out.push({text: "placeholder: " + input.placeholder.slice(0, 30), cls: "placeholder", ratio: ratio(drawn(input, fg), bg), needed: 4.5});
  }
  return out;
}"""


def test_every_text_on_the_page_meets_wcag_contrast(page):
    """WCAG 2.2 AA 1.4.3 over the rendered page after an answer: every element's own text
    (its colour and every background under it, each ancestor's opacity applied, as drawn) and
    the placeholders; an answer, a rewritten follow-up and a refusal on the page."""
    ask(page, "who holds Tal Rifaat?")
    ask(page, "when did that happen?", page.locator("#qa-chat .qa-card, #qa-chat .qa-none").count())
    ask(page, "what is the boiling point of tungsten?", page.locator("#qa-chat .qa-card, #qa-chat .qa-none").count())
    found = page.evaluate(CONTRAST)
    weak = sorted({(f["cls"] or f["text"], round(f["ratio"], 2), f["needed"]) for f in found if f["ratio"] < f["needed"]})
    (ARTIFACTS / "contrast.txt").parent.mkdir(exist_ok=True)
    (ARTIFACTS / "contrast.txt").write_text("\n".join(f"{r['ratio']:.2f} {r['cls']!r} {r['text']!r}" for r in found))
    assert len(found) > 20
    assert not weak, weak


def test_every_text_meets_wcag_contrast_on_a_phone(browser, server):
    """The same measure at 390 x 844, where the cards take the whole width."""
    url, _ = server
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(url, wait_until="domcontentloaded")
    phone.wait_for_selector("#qa-question textarea", timeout=60_000)
    ask(phone, "who holds Tal Rifaat?")
    ask(phone, "what is the boiling point of tungsten?", phone.locator("#qa-chat .qa-card, #qa-chat .qa-none").count())
    found = phone.evaluate(CONTRAST)
    weak = sorted({(f["cls"] or f["text"], round(f["ratio"], 2), f["needed"]) for f in found if f["ratio"] < f["needed"]})
    shot(phone, "phone-contrast")
    phone.close()
    assert len(found) > 20 and not weak, weak


NAMES = """() => {
  const out = [];
  for (const el of document.querySelectorAll("button, input:not([type=hidden]), textarea, select, [role=button]")) {
    const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === "hidden" || s.display === "none") continue;
    const labelled = el.getAttribute("aria-labelledby");
    const name = (el.getAttribute("aria-label") || (labelled && labelled.split(" ").map((i) => document.getElementById(i)?.textContent || "").join(" "))
      || (el.labels && el.labels.length && el.labels[0].textContent) || (el.tagName === "BUTTON" && el.textContent.trim())
      || el.getAttribute("title") || el.getAttribute("placeholder") || "").trim().replace(/\s+/g, " ");
    out.push({tag: el.tagName, cls: String(el.className).slice(0, 30), name, height: r.height, width: r.width,
              html: el.outerHTML.slice(0, 700), parent: String(el.parentElement.className) + " < " + String(el.parentElement.parentElement.className)});
  }
  return out;
}"""


def test_every_control_has_a_name_and_a_target_of_24_px(page):
    """WCAG 2.2 4.1.2 and 2.5.8 over the rendered page after two answers: every button and input
    has an accessible name, the buttons repeated on each card say which card they act on,
    and each is at least 24 px in both directions."""
    ask(page, "who holds Tal Rifaat?")
    copies = [c["name"] for c in page.evaluate(NAMES) if "qa-copy" in c["cls"]]  # one answer: one of each
    assert len(copies) >= 2 and all(n.startswith("Copy citation [") for n in copies)
    assert len(set(copies)) == len(copies), copies
    ask(page, "what interest rate did the central bank set?", cards_before=page.locator(".qa-card").count())
    controls = page.evaluate(NAMES)
    assert len(controls) > 5
    unnamed = [c for c in controls if not c["name"]]
    assert not unnamed, [(c["html"], c["parent"]) for c in unnamed]
    small = [c for c in controls if c["tag"] == "BUTTON" and min(c["height"], c["width"]) < 24]
    assert not small, small


def test_side_panel_mistakes_are_toasts_that_block_nothing(page):
    """Add with no file, text that is not a url, exporting an empty chat: each says so in a
    toast, and then Sources, the index panel and Remove still work (no error left over them)."""
    page.click("#qa-export")
    page.get_by_text("nothing to export yet", exact=False).first.wait_for(timeout=10_000)
    page.click("text=Add articles")
    page.click("#qa-add")
    page.get_by_text("choose one or more files first", exact=False).first.wait_for(timeout=10_000)
    page.fill("#qa-urls textarea", "the harbour story from Monday")
    page.click("#qa-fetch")  # the text is quoted whole, not split into words
    page.get_by_text("not a web address: line 1: “the harbour story from Monday”",
                     exact=False).first.wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    marked = page.evaluate("""() => [...document.querySelectorAll('.error')].filter(e => {
        const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && !e.closest('.toast-wrap, [class*=toast]');
      }).map(e => (e.closest('[id]') || {}).id)""")
    assert not marked, marked
    page.get_by_text("Filters", exact=True).first.click()
    page.locator("#qa-sources input").click()  # Sources opens its list
    page.locator("[role=option]", has_text="Demo Wire").first.click()
    page.click("text=What the index holds")
    choice = page.locator("#qa-remove-choice input")
    choice.click()
    page.locator("[role=option]").first.click()
    page.click("#qa-remove")  # asks first: the click got through
    page.wait_for_selector("#qa-remove-yes", state="visible")
    page.click("#qa-remove-no")


def test_a_failed_fetch_reads_as_plain_text(page):
    """A url's failure in the summary shows its quote marks, not `&#39;`."""
    page.click("text=Add articles")
    page.fill("#qa-urls textarea", "http://127.0.0.1:9/o'neil-says-<b>no</b>")
    page.click("#qa-fetch")
    page.wait_for_function("() => document.querySelector('#qa-upload-summary').innerText.includes('failed')",
                           timeout=60_000)
    summary = page.locator("#qa-upload-summary").inner_text()
    assert "o'neil-says-" in summary and "&#" not in summary and "&amp;" not in summary, summary
    assert "refused: 127.0.0.1 is a loopback address" in summary  # the web app fetches public addresses only


def test_an_example_chip_asks_its_question(page):
    chip = page.locator("#qa-examples button", has_text="Central bank holds rates").first
    chip.click()
    page.wait_for_function("() => document.querySelectorAll('#qa-chat .qa-card, #qa-chat .qa-none').length > 0",
                           timeout=60_000)
    asked = page.locator("#qa-chat .qa-q, #qa-chat .message.user, #qa-chat [data-testid=user]").first.inner_text()
    assert "What happened: Central bank holds rates" in asked
    assert "Central bank holds rates" in page.locator("#qa-chat .qa-card").first.inner_text()


def test_sources_are_what_the_answer_used(page):
    """Cards far below card 1 fold under "Less related (n)" (a click opens them), and the
    exported Markdown lists as sources only the cards the answer cites."""
    ask(page, "who holds Tal Rifaat?")
    reply = page.locator("#qa-chat .message.bot, #qa-chat [data-testid=bot]").last
    less = reply.locator("details.qa-less")
    assert less.count() == 1
    summary = less.locator("> summary").inner_text()
    folded = less.locator(".qa-card").count()
    assert summary == f"Less related ({folded})" and folded >= 1
    assert not less.locator(".qa-card").first.is_visible()
    less.locator("> summary").click()
    assert less.locator(".qa-card").first.is_visible()
    shot(page, "less-related")
    with page.expect_download() as download:
        page.click("#qa-export")
        page.locator("#qa-exported a").first.click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    sources = markdown.split("Sources:", 1)[1].strip().splitlines()
    assert len(sources) == 1 and sources[0].startswith("1. [Turkey-backed fighters take Tal Rifaat"), markdown


def test_each_message_is_named_by_its_text(page):
    """Gradio names a chat message by its raw HTML; a screen reader hears the text instead."""
    ask(page, "who holds Tal Rifaat?")
    page.wait_for_timeout(300)
    labels = page.evaluate("() => [...document.querySelectorAll('#qa-chat [aria-label*=\"message\"], "
                           "#qa-chat [aria-label^=\"Question:\"], #qa-chat [aria-label^=\"Answer:\"]')]"
                           ".map(e => e.getAttribute('aria-label'))")
    messages = [label for label in labels if label.startswith(("Question:", "Answer:", "user", "bot"))]
    assert messages and not [label for label in messages if "<" in label], messages
    assert "Question: who holds Tal Rifaat?" in messages
    assert any(label.startswith("Answer: Armed groups backed by Turkey [1]") for label in messages), messages


FACES = """async () => {
  await document.fonts.ready;
  const loaded = new Set([...document.fonts].filter((f) => f.status === "loaded")
    .map((f) => f.family.replace(/["']/g, "") + " " + f.weight));
  const out = [];
  for (const el of document.querySelectorAll("#qa-chat *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const s = getComputedStyle(el);
    const family = s.fontFamily.split(",")[0].replace(/["']/g, "").trim();
    if (!loaded.has(family + " 400")) continue;  // a font the page did not load: not ours to check
    out.push({text: el.textContent.trim().slice(0, 40), face: family + " " + s.fontWeight,
              drawn: loaded.has(family + " " + s.fontWeight)});
  }
  return out;
}"""


def test_bold_titles_are_drawn_in_one_font(page):
    """Every text in an answer asks for a weight the page's font has loaded: no bold drawn from
    another face or synthesised (the titles once mixed two fonts' glyphs)."""
    ask(page, "who holds Tal Rifaat?")
    found = page.evaluate(FACES)
    assert any("Turkey-backed fighters" in f["text"] for f in found)
    missing = sorted({(f["face"], f["text"]) for f in found if not f["drawn"]})
    assert not missing, missing


def test_an_upload_of_forty_articles_shows_its_progress(page, server):
    """Right under the Add button, while it works: "n/40 articles" and what is being stored,
    drawn visibly (not at opacity 0), then the summary."""
    _, root = server
    folder = root / "forty"
    folder.mkdir()
    sentence = "The lantern makers' guild met on Tuesday to plan the winter market stalls and the parade. "
    for i in range(40):
        (folder / f"guild-{i:02d}.md").write_text(f"# Guild notes {i}\n\nNovember {i % 28 + 1}, 2024\n\n"
                                                   + sentence * 60 + "\n")
    page.click("text=Add articles")
    page.locator("#qa-files input[type=file]").set_input_files(sorted(str(p) for p in folder.iterdir()))
    page.click("#qa-add")
    seen = page.wait_for_function("""() => {
      for (const e of document.querySelectorAll('#qa-upload-summary .progress-text, #qa-upload-summary .progress-level-inner')) {
        const t = e.textContent.trim(); if (!t.includes('/40')) continue;
        let o = 1; for (let x = e; x; x = x.parentElement) o *= Number(getComputedStyle(x).opacity);
        const r = e.getBoundingClientRect();
        if (o > 0.9 && r.top >= 0 && r.bottom <= window.innerHeight) return {text: t, opacity: o};
      }
      return false; }""", timeout=60_000, polling=50).json_value()  # drawn and in view while it works
    assert seen["text"].startswith(tuple(f"{n}/40" for n in range(40))), seen
    shot(page, "upload-progress")
    page.wait_for_function("() => document.querySelector('#qa-upload-summary').innerText.includes('40 added')",
                           timeout=120_000)


def test_one_users_slow_url_does_not_hold_up_anothers_fetch(browser, tmp_path):
    """Two users of one `qa serve`: the first fetches a url whose server drips its headers (cut
    off at QA_FETCH_DEADLINE, 8 s here), the second a good page a moment later: the second's
    article is in within seconds, while the first still waits; then the first is told why."""
    import time

    from tests.webserver import news_site

    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index"), "QA_ALLOW_PRIVATE_URLS": "1",
           "QA_FETCH_DEADLINE": "8"}
    subprocess.run([QA, "ingest", "--quiet", str(DEMO)], env=env, cwd=ROOT, check=True)
    with news_site() as site, served(env, tmp_path / "serve.log") as url:
        pages = [browser.new_page(viewport={"width": 1280, "height": 1000}) for _ in range(2)]
        for page in pages:
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector("#qa-question textarea", timeout=60_000)
            page.click("text=Add articles")
        slow, quick = pages
        slow.fill("#qa-urls textarea", f"{site.url}/drip-headers.html")
        slow.click("#qa-fetch")
        started = time.monotonic()
        time.sleep(0.5)
        quick.fill("#qa-urls textarea", f"{site.url}/news/market.html")
        quick.click("#qa-fetch")
        quick.wait_for_function("() => /1 added/.test(document.querySelector('#qa-upload-summary').innerText)",
                                timeout=30_000)
        assert time.monotonic() - started < 7  # before the slow one's deadline: it did not wait behind it
        slow.wait_for_function("() => document.querySelector('#qa-upload-summary').innerText.includes('failed')",
                               timeout=30_000)
        summary = slow.locator("#qa-upload-summary").inner_text()
        assert "took longer than 8 s in all" in summary, summary
        assert 7.5 < time.monotonic() - started < 20
        for page in pages:
            page.close()
