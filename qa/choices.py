"""The one table of each set of choices: settings, the CLI, the web chat and qa eval read these."""

from __future__ import annotations

# how candidates are found: both indexes fused, vectors only, keywords only
RETRIEVALS = ("hybrid", "dense", "keyword")

# how the best candidates are reranked; "cross-encoder:MODEL" takes any sentence-transformers CrossEncoder
RERANKERS = {
    "sentence": "the fused score blended with the passage's best-sentence score (the default)",
    "none": "the fused order",
    "cross-encoder:MODEL": "a sentence-transformers CrossEncoder (a folder, or a name in the local cache)",
}
CROSS_ENCODER = "cross-encoder:"

# order of the passages shown: value -> what the web chat calls it
ORDERS = {"relevance": "best first", "newest": "newest first", "oldest": "oldest first"}

# qa eval's methods: name -> (retrieval, rerank, reader); "default" keeps the settings
EVAL_METHODS = {"keyword": ("keyword", "none", False), "dense": ("dense", "none", False),
                "hybrid": ("hybrid", "none", False), "hybrid+rerank": ("hybrid", "sentence", False),
                "hybrid+rerank+reader": ("hybrid", "sentence", True)}


def is_reranker(spec: str) -> bool:
    return spec in RERANKERS and spec != "cross-encoder:MODEL" or (spec.startswith(CROSS_ENCODER)
                                                                    and len(spec) > len(CROSS_ENCODER))
