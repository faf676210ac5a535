"""The words of an article: the article record, its sentences, its token chunks, its search
terms."""

from index.text.articles import Article, content_hash, derive_id
from index.text.chunker import ChunkedArticle, Chunker
from index.text.tokens import get_encoding
from index.text.vocabulary import MIN_TERM_LENGTH, STOPWORDS, content_terms, skeleton, terms

__all__ = [
    "Article", "ChunkedArticle", "Chunker", "MIN_TERM_LENGTH", "STOPWORDS", "content_hash",
    "content_terms", "derive_id", "get_encoding", "skeleton", "terms"
]
