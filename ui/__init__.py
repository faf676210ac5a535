"""The Gradio web chat over a loaded :class:`qa.Index` (``ui.app.build_app``)."""
