"""The Gradio chat app. It receives a loaded :class:`qa.Index` and holds no retrieval logic."""

from __future__ import annotations

import logging

import gradio as gr

from qa import Index
from qa.errors import QAError
from ui.cards import answer_html
from ui.cards import text as escape

log = logging.getLogger(__name__)

EXAMPLES = ["who holds Tal Rifaat?"]


def chat_turn(index: Index, message: str, history: list[dict] | None, k: int = 5) -> list[dict]:
    """One question and its answer appended to the chat history (``role``/``content`` dicts)."""
    history = list(history or [])
    try:
        passages = index.retrieve(message, int(k))
    except QAError as exc:
        raise gr.Error(str(exc)) from None
    history.append({"role": "user", "content": escape(message)})
    history.append({"role": "assistant", "content": answer_html(passages)})
    return history


def build_app(index: Index) -> gr.Blocks:
    """The chat UI over ``index``; build it in tests, ``launch()`` it to serve."""
    info = index.info()
    with gr.Blocks(title="article-qa", analytics_enabled=False) as app:
        gr.Markdown(
            f"### article-qa\nAsk about your articles: {info.articles} articles, {info.chunks} passages."
        )
        chatbot = gr.Chatbot(label="Answers", height=560, sanitize_html=True,
                             placeholder="Ask a question, e.g. *who holds Tal Rifaat?*")
        with gr.Row():
            question = gr.Textbox(placeholder="who holds Tal Rifaat?", show_label=False, scale=8,
                                  autofocus=True, submit_btn=True)
            k = gr.Slider(1, 10, value=index.settings.top_k, step=1, label="Passages", scale=2)
        gr.Examples(EXAMPLES, inputs=question)

        def respond(message: str, history: list[dict], top_k: float):
            return chat_turn(index, message, history, int(top_k)), ""

        question.submit(respond, [question, chatbot, k], [chatbot, question], api_name="ask")
    return app
