"""The README says what is true: its Python example runs, its settings table is complete."""

import re

import pytest

from qa.settings import Settings
from tests.conftest import DEMO, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_settings_table_names_every_environment_variable():
    table = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(QA_[A-Z_]+)", table))
    assert set(Settings.ENV_VARS.values()) | {"QA_AUTH"} <= named, set(Settings.ENV_VARS.values()) - named


@pytest.mark.model
def test_the_python_example_runs(tmp_path, capsys):
    code = README.split("```python", 1)[1].split("```", 1)[0]
    code = code.replace('"demo/articles"', repr(str(DEMO))).replace('"index-data"', repr(str(tmp_path / "index")))
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 (our own README)
    printed = capsys.readouterr().out
    assert printed.startswith("True Turkey-backed fighters take Tal Rifaat")
    assert "Turkey" in printed.split("again", 1)[1]
