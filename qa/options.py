"""The command-line options every ``qa`` command shares (and ``qa serve``, from ui/cli.py):
where the index is, which model, whether the hub may be reached."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from qa.settings import Settings


def settings_options(func):
    """--index-dir, --model and --online, shared by every command."""

    @click.option("--index-dir", type=click.Path(path_type=Path), default=None,
                  help="Index directory [env QA_INDEX_DIR; default ./index-data].")
    @click.option("--model", default=None,
                  help="sentence-transformers model name or path [env QA_MODEL].")
    @click.option("--online", is_flag=True, default=None,
                  help="Allow downloading a model from the Hugging Face hub [env QA_OFFLINE=0].")
    @functools.wraps(func)
    def wrapper(*args, index_dir, model, online, **kwargs):
        settings = Settings.from_env(index_dir=index_dir, model=model,
                                     offline=False if online else None)
        return func(*args, settings=settings, **kwargs)

    return wrapper
