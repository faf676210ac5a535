"""Which embedding model is used: the one asked for, else the index's own, else the default."""

import pytest

from index.directory.layout import model_for
from index.embed.models import DEFAULT_MODEL, TORCH_MODEL, load_embedder
from index.ingest import ingest
from qa.errors import IndexMismatchError
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
def test_the_onnx_default_matches_the_torch_model():
    import numpy as np

    texts = ["Pro-Turkey factions seized the town of Tal Rifaat.", "who holds Tal Rifaat?"]
    onnx, torch = load_embedder(DEFAULT_MODEL).embed(texts), load_embedder(TORCH_MODEL).embed(texts)
    assert np.all(np.sum(onnx * torch, axis=1) > 0.99)  # int8 vectors close to fp32


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
