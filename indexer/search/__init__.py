"""Japanese search over the cases: whoosh index, BM25F ranking with thesaurus, places and years.

Public entry points: :func:`build_index` (also called by the MkDocs search plugin),
:func:`open_searcher` / :class:`Searcher` (``search``, ``related``), and :mod:`indexer.search.scoring`
(every ranking parameter, mirrored by the browser engine).
"""

from __future__ import annotations

from indexer.search.build import BuildStats, build_index, current_generation
from indexer.search.searcher import Hit, IndexMissing, Searcher, SearchResponse, open_searcher

__all__ = ["BuildStats", "Hit", "IndexMissing", "SearchResponse", "Searcher", "build_index", "current_generation",
           "open_searcher"]
