"""The Gradio chat app. It receives a loaded :class:`qa.Index` and holds no retrieval logic."""

from __future__ import annotations

import gradio as gr

from qa import Index
from ui.handlers import ORDER_CHOICES, Chat
from ui.index_panel import UPLOAD_TYPES, IndexPanel

# After an answer, scroll the chat so the latest question (and the answer's lead) is at the top of
# the chat box, rather than the bottom of the last card.
SCROLL_TO_ANSWER = """() => { setTimeout(() => {
  const qs = document.querySelectorAll('#qa-chat .qa-q'); if (!qs.length) return;
  const q = qs[qs.length - 1]; let box = q.parentElement;
  while (box && box !== document.body) {
    const y = getComputedStyle(box).overflowY;
    if ((y === 'auto' || y === 'scroll') && box.scrollHeight > box.clientHeight) break;
    box = box.parentElement;
  }
  if (box && box !== document.body)
    box.scrollTop += q.getBoundingClientRect().top - box.getBoundingClientRect().top - 44;
  else q.scrollIntoView({block: 'start'});
}, 150); }"""


SHOW_SUMMARY = """() => { const s = document.querySelector('#qa-upload-summary');
  if (s) setTimeout(() => s.scrollIntoView({block: 'center'}), 150); }"""


FILTER_NAMES = ("since", "until", "as_of", "sources", "order", "k")


def keep_filters(*values) -> dict:
    """The filters as the browser keeps them."""
    return dict(zip(FILTER_NAMES, values))


def restore_filters(kept: dict | None):
    """The kept filters back in their controls (those not kept: unchanged). Sources the
    index no longer holds are dropped by the dropdown's own choices."""
    kept = kept if isinstance(kept, dict) else {}
    return tuple(kept[name] if name in kept and kept[name] is not None else gr.skip() for name in FILTER_NAMES)


def build_app(index: Index) -> gr.Blocks:
    """The chat UI over ``index``; build it in tests, ``launch()`` it to serve."""
    chat, panel = Chat(index), IndexPanel(index)
    with gr.Blocks(title="article-qa", analytics_enabled=False) as app:
        gr.Markdown("### article-qa · ask your articles")
        turns = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Answers", height=620, sanitize_html=True, elem_id="qa-chat",
                                     autoscroll=False, buttons=["copy", "copy_all"],  # no share: it has no name
                                     placeholder="Ask a question about your articles; the answer cites them.")
                with gr.Row(equal_height=True, elem_id="qa-composer"):
                    question = gr.Textbox(label="Question", placeholder="Ask your articles a question",
                                          show_label=False, scale=8, autofocus=True, elem_id="qa-question",
                                          max_lines=6)
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="qa-ask")
                    new_chat = gr.Button("New chat", scale=1, min_width=90, elem_id="qa-new-chat")
                question_note = gr.HTML(elem_id="qa-question-note")
                # "Ask without the conversation" (a button in a rewritten answer) fills and clicks these
                alone_question = gr.Textbox(visible="hidden", elem_id="qa-alone-question")
                alone_go = gr.Button("Ask without the conversation", visible="hidden", elem_id="qa-alone-go")
                with gr.Row():
                    export = gr.Button("Export chat as Markdown", size="sm", elem_id="qa-export", scale=0,
                                       min_width=200)
                    exported = gr.File(label="Markdown", visible=True, elem_id="qa-exported", height=60)
                examples = gr.Dataset(components=[question], samples=[], label="Try, from your articles",
                                      elem_id="qa-examples")
            with gr.Column(scale=1):
                with gr.Accordion("Filters", open=False):
                    since = gr.Textbox(label="From", placeholder="YYYY-MM-DD", elem_id="qa-since")
                    until = gr.Textbox(label="To", placeholder="YYYY-MM-DD", elem_id="qa-until")
                    as_of = gr.Textbox(label="As of", placeholder="today (YYYY-MM-DD to ask as on that day)",
                                       elem_id="qa-as-of")
                    filter_note = gr.HTML(elem_id="qa-filter-note")
                    sources = gr.Dropdown([], multiselect=True, label="Sources", elem_id="qa-sources")
                    order = gr.Radio(list(ORDER_CHOICES), value="best first", label="Order", elem_id="qa-order")
                    k = gr.Slider(1, 10, value=index.settings.top_k, step=1, label="Passages")
                with gr.Accordion("Add articles", open=False, elem_id="qa-upload-panel"):
                    files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, label="Files", elem_id="qa-files")
                    add = gr.Button("Add to the index", variant="primary", elem_id="qa-add")
                    # right under the button: its progress ("12/40 articles", the file, the time left), then
                    # what was added; HTML we escape (no Markdown autolinks)
                    summary = gr.HTML(elem_id="qa-upload-summary")
                    urls = gr.Textbox(label="Web pages", placeholder="https://... (one per line)", lines=2,
                                      elem_id="qa-urls")
                    fetch = gr.Button("Fetch and add", elem_id="qa-fetch")
                with gr.Accordion("What the index holds", open=False):
                    info = gr.Markdown(elem_id="qa-info")
                    table = gr.Dataframe(headers=["title", "date", "source", "passages"],
                                         interactive=False, wrap=True, elem_id="qa-articles")
                    chosen = gr.Dropdown([], label="Article", elem_id="qa-remove-choice")
                    remove = gr.Button("Remove article", variant="stop", elem_id="qa-remove")
                    removed = gr.Markdown(elem_id="qa-removed")
                    with gr.Row(visible=False) as confirm:
                        really = gr.Button("Yes, remove it", variant="stop", elem_id="qa-remove-yes")
                        keep = gr.Button("Cancel", elem_id="qa-remove-no")

        # questions share one pool of index.settings.concurrency workers; writes keep Gradio's one at a time
        questions = {"concurrency_limit": index.settings.concurrency, "concurrency_id": "questions"}
        inputs = [question, chatbot, turns, k, since, until, sources, order, as_of]
        outputs = [chatbot, turns, question, question_note, filter_note]
        for trigger in (question.submit, ask.click):
            trigger(chat.ask, inputs, outputs, api_visibility="private", **questions).then(
                None, None, None, js=SCROLL_TO_ANSWER, api_visibility="private")
        alone_go.click(chat.ask_alone, [alone_question, *inputs[1:]], outputs, api_visibility="private",
                       **questions).then(None, None, None, js=SCROLL_TO_ANSWER, api_visibility="private")
        new_chat.click(chat.new_chat, None, outputs, api_visibility="private")
        examples.click(lambda sample: sample[0], examples, question, api_visibility="private").then(
            chat.ask, inputs, outputs, api_visibility="private", **questions).then(  # a chip asks its question
            None, None, None, js=SCROLL_TO_ANSWER, api_visibility="private")
        facts = [info, table, chosen, sources]
        # a mistake is a toast; only the summary an event writes can show its error, never the
        # panel below it (an error marks an event's outputs and holds them until reload)
        # fetches wait on other servers, not on the index (the write lock is taken after the pages
        # are in): several users' fetches run side by side, so a slow url holds up only its own user
        fetches = {"concurrency_limit": index.settings.concurrency, "concurrency_id": "fetches"}
        for button, check, handler, given, limits in ((add, panel.check_files, panel.upload, files, {}),
                                                      (fetch, panel.check_urls, panel.add_urls, urls, fetches)):
            # the summary shows the progress ("12/40 articles · ingest · harbour.md · 30 s left"): in view
            button.click(None, None, None, js=SHOW_SUMMARY, api_visibility="private")
            button.click(check, given, None, api_visibility="private").success(
                handler, given, summary, api_visibility="private", **limits).success(
                panel.panel, None, facts, api_visibility="private").success(
                lambda: None, None, given, api_visibility="private").then(  # added: the picker empties
                chat.examples, None, examples, api_visibility="private")
        export.click(chat.check_export, turns, None, api_visibility="private").success(
            chat.export, turns, exported, api_visibility="private")
        remove.click(panel.ask_to_remove, chosen, [removed, confirm], api_visibility="private")
        really.click(panel.remove, chosen, [removed, confirm, *facts], api_visibility="private").then(
            chat.examples, None, examples, api_visibility="private")
        keep.click(panel.cancel, None, [removed, confirm], api_visibility="private")
        # the filters survive a reload: kept in the browser (localStorage), restored on load
        kept = gr.BrowserState({}, storage_key="article-qa-filters")
        filters = [since, until, as_of, sources, order, k]
        for control in filters:
            control.change(keep_filters, filters, kept, api_visibility="private")
        app.load(panel.panel, None, facts, api_visibility="private").then(
            restore_filters, kept, filters, api_visibility="private")
        app.load(chat.examples, None, examples, api_visibility="private")
        gr.api(chat.search, api_name="search", **questions)
    return app
