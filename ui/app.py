"""The Gradio chat app. It receives a loaded :class:`qa.Index` and holds no retrieval logic."""

from __future__ import annotations

import gradio as gr

from qa.retriever import Index
from ui.handlers import ORDER_CHOICES, UPLOAD_TYPES, Handlers

EXAMPLES = ["who holds Tal Rifaat?", "when does the hosepipe ban start?"]

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
}, 150); }"""


def chat_turn(index: Index, message: str, history: list[dict] | None, k: int = 5) -> list[dict]:
    """One question and its answer appended to the chat history (for scripts and tests)."""
    return Handlers(index).ask(message, history, [], k)[0]


def build_app(index: Index) -> gr.Blocks:
    """The chat UI over ``index``; build it in tests, ``launch()`` it to serve."""
    h = Handlers(index)
    with gr.Blocks(title="article-qa", analytics_enabled=False) as app:
        gr.Markdown("### article-qa · ask your articles")
        searched = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Answers", height=620, sanitize_html=True, elem_id="qa-chat",
                                     autoscroll=False,
                                     placeholder="Ask a question about your articles, e.g. *who holds Tal Rifaat?*")
                with gr.Row():
                    question = gr.Textbox(placeholder="who holds Tal Rifaat?", show_label=False, scale=8,
                                          autofocus=True, submit_btn=True, elem_id="qa-question")
                    new_chat = gr.Button("New chat", scale=1, elem_id="qa-new-chat")
                gr.Examples(EXAMPLES, inputs=question)
            with gr.Column(scale=1):
                with gr.Accordion("Filters (next question)", open=False):
                    since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="qa-since")
                    until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="qa-until")
                    sources = gr.Dropdown([], multiselect=True, label="Sources", elem_id="qa-sources")
                    order = gr.Radio(list(ORDER_CHOICES), value="best first", label="Order", elem_id="qa-order")
                    k = gr.Slider(1, 10, value=index.settings.top_k, step=1, label="Passages")
                with gr.Accordion("Add articles", open=True):
                    files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, label="Files", elem_id="qa-files")
                    add = gr.Button("Add to the index", variant="primary", elem_id="qa-add")
                    summary = gr.Markdown(elem_id="qa-upload-summary")
                with gr.Accordion("What the index holds", open=False):
                    info = gr.Markdown(elem_id="qa-info")
                    table = gr.Dataframe(headers=["date", "source", "title", "chunks", "id"],
                                         interactive=False, wrap=True, elem_id="qa-articles")
                    chosen = gr.Dropdown([], label="Article", elem_id="qa-remove-choice")
                    remove = gr.Button("Remove article", variant="stop", elem_id="qa-remove")
                    removed = gr.Markdown()

        inputs = [question, chatbot, searched, k, since, until, sources, order]
        question.submit(h.ask, inputs, [chatbot, searched, question], api_visibility="private").then(
            None, None, None, js=SCROLL_TO_ANSWER, api_visibility="private")
        new_chat.click(h.new_chat, None, [chatbot, searched, question], api_visibility="private")
        panel = [info, table, chosen, sources]
        add.click(h.upload, files, [summary, *panel], api_visibility="private")
        remove.click(h.remove, chosen, [removed, *panel], api_visibility="private")
        app.load(h.panel, None, panel, api_visibility="private")
        gr.api(h.search, api_name="search")
    return app
