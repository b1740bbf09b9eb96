"""A persistent build cache: each case analysed by MeCab once, reused by later builds and ``mkdocs serve``.

Layout of the cache folder (``.cache/yokoten/`` by default, safe to delete at any time)::

    analysis/<kk>/<key>.pickle   one analysed case (:class:`~indexer.search.schema.PreparedCase` and its
                                 related-cases bag) as plain Python values
    pages/<kk>/<key>.json        one rendered case page (its key covers everything the page shows)
    lexicon/<kk>/<key>.pickle    what MeCab found for the search export's lexicon (function words of a
                                 sample case, spellings of the corpus's terms, the query vocabulary)
    validated/<kk>/<key>.pickle  one case file's validator issues and checked values (key: its bytes, its
                                 place, today's date and the validator's code; see ``indexer.loader``)
    related/<key>.json           the related-cases lists of a whole corpus
    corpus/columns.{npz,pickle}  the analysed cases of the latest build as flat arrays with their keys
                                 (``indexer.browser_export.Columns``): a build after an edit reads this one
                                 entry and analyses (or loads) only the cases whose key is not in it
    export/<key>/                the browser search export of a whole corpus

A case's key hashes its content (``content_hash``: every indexed value, the analysis and schema
versions) together with a fingerprint of the code and data that turn content into the cached values
(``CODE_FILES`` and the data files of the ``indexer`` package, the fugashi and UniDic versions, this
module's format), so an
entry is never stale: changed content or changed code gives a new key. Corpus-level entries are keyed
by the keys of all their cases. A file that cannot be read or does not hold what its name says is a
miss and is written again; writes go through a temporary file and ``os.replace``.

Entries hold only built-in values (no class is ever imported while loading), so a damaged or foreign
file cannot run code.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import io
import json
import os
import pickle
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.browser_export import Columns
    from indexer.model import Case
    from indexer.search.schema import PreparedCase

FORMAT = "1"
"""Bump when the layout of entries changes."""
KEEP_CORPUS_ENTRIES = 4
"""Corpus-level entries (related lists, exports) kept per kind: the newest few, for switching back and forth."""
INDEXER = Path(__file__).resolve().parents[1] / "indexer"


# What turns a case into cached values: the analysis (MeCab and its dictionary, the term rules and data
# files), the index fields, the related-cases bag and the browser export. Other indexer files (the CLI,
# the whoosh searcher, the JavaScript engine) do not change them, so editing them keeps the cache.
CODE_FILES = ("__init__.py", "analysis.py", "model.py", "reference.py", "similar.py",
              "search/__init__.py", "search/schema.py", "search/scoring.py")
EXPORT_FILES = ("browser_export.py",)  # only in the key of whole exports


@functools.lru_cache(maxsize=2)
def fingerprint(files: tuple[str, ...] = CODE_FILES) -> str:
    """Hash of what turns case content into cached values: indexer code and data, MeCab's dictionary."""
    from importlib import metadata

    digest = hashlib.sha256(f"yokoten-cache {FORMAT}\0".encode())
    data = sorted(p for p in (INDEXER / "data").rglob("*") if p.is_file())
    for path in [*(INDEXER / name for name in files), *data]:
        digest.update(path.relative_to(INDEXER).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"(missing)")
    for package in ("fugashi", "unidic-lite"):
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"\0{package}={version}".encode())
    return digest.hexdigest()


def case_key(case: Case) -> str:
    """The cache key of one case: its content hash with the code fingerprint."""
    from indexer.search.schema import content_hash

    return hashlib.sha256(f"{content_hash(case)}\0{fingerprint()}".encode()).hexdigest()


def corpus_key(kind: str, keys: Iterable[str], *extra: object) -> str:
    """The key of a corpus-level entry: its kind, every case key (order-free) and any options."""
    digest = hashlib.sha256(f"{kind}\0{FORMAT}\0{fingerprint()}\0{json.dumps(extra, sort_keys=True)}\0".encode())
    for key in sorted(keys):
        digest.update(key.encode() + b"\0")
    return digest.hexdigest()


class _BuiltinsOnly(pickle.Unpickler):
    """Loads dicts, lists, tuples, strings, numbers and dates; refuses every other class or function."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("datetime", "date"):
            import datetime

            return datetime.date
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")


def _load_plain(path: Path, key: str) -> Any:
    """The value of an entry written by :func:`_dump_plain`, or None (missing, damaged, another key)."""
    try:
        with open(path, "rb") as handle:
            stored = _BuiltinsOnly(io.BytesIO(handle.read())).load()
    except Exception:  # any damage to a cache file is a miss
        return None
    if not (isinstance(stored, tuple) and len(stored) == 3 and stored[0] == FORMAT and stored[1] == key):
        return None
    return stored[2]


def _dump_plain(path: Path, key: str, value: Any) -> None:
    _write_atomically(path, pickle.dumps((FORMAT, key, value), protocol=5))


def _to_plain(prepared: PreparedCase) -> tuple[Any, ...]:
    fields = {name: (a.positions, a.weights, a.counts) for name, a in prepared.fields.items()}
    return (prepared.id, prepared.hash, fields, prepared.lengths, prepared.surfaces, prepared.meta,
            prepared.snippet, prepared.bag)


def _from_plain(value: Any) -> PreparedCase:
    from indexer.search.schema import Analyzed, PreparedCase

    case_id, digest, fields, lengths, surfaces, meta, snippet, bag = value
    if not all(isinstance(v, dict) for v in (fields, lengths, surfaces, meta, bag)) or not isinstance(snippet, str):
        raise ValueError("not an analysed case")
    analysed = {name: Analyzed(positions, weights, counts) for name, (positions, weights, counts) in fields.items()}
    return PreparedCase(case_id, digest, analysed, lengths, surfaces, meta, snippet, bag)


def _compact(prepared: PreparedCase, floats: dict[float, float]) -> PreparedCase:
    """The same analysed case holding one copy of each term string and weight across the corpus.

    Every case has its own string objects for the same bigrams, pairs and terms (and a loaded case its
    own copy of everything): shared, 10,000 cases take about half the memory while the search export,
    which needs them all at once, is written.
    """
    intern = sys.intern
    # Equal weights share one float object (a weight equal to an int may become that int: same arithmetic).
    for analysed in prepared.fields.values():
        analysed.positions = dict(zip(map(intern, analysed.positions), analysed.positions.values(), strict=True))
        weights = analysed.weights
        analysed.weights = dict(zip(map(intern, weights), map(floats.setdefault, weights.values(), weights.values()), strict=True))
        analysed.counts = dict(zip(map(intern, analysed.counts), analysed.counts.values(), strict=True))
    prepared.surfaces = dict(zip(map(intern, prepared.surfaces), [list(map(intern, forms)) for forms in prepared.surfaces.values()],
                                 strict=True))
    prepared.bag = dict(zip(map(intern, prepared.bag), prepared.bag.values(), strict=True))
    return prepared


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        # A cache that cannot be written only makes the next build slower.
        with contextlib.suppress(OSError):
            temporary.unlink()


_COMPLETE = ".complete.json"


def _link_or_copy(source: str, target: str) -> None:
    """Hard-link a file (an export has thousands; linking is several times faster), else copy it.

    Linked files are made read-only: the cache and the site share them, so a program that tried to
    rewrite one in place would fail instead of changing the cached copy. Every writer of this project
    replaces files (new file, then rename), which read-only files do not prevent.
    """
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        return
    with contextlib.suppress(OSError):
        os.chmod(target, 0o444)


def _copy_folder(source: Path, target: Path, expect: tuple[int, int] | None = None) -> tuple[int, int]:
    """Copy ``source`` to ``target`` through a sibling staging folder, so ``target`` is never half written.

    Dot files (the cache's own marker) are not copied.

    Args:
        source: the folder to copy.
        target: where it goes (replaced as a whole).
        expect: ``(files, bytes)`` the copy must have; otherwise nothing is replaced and ValueError is raised.

    Returns:
        The number of files and bytes copied.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    shutil.rmtree(staging, ignore_errors=True)
    copy = _link_or_copy if os.name == "posix" else shutil.copyfile
    files = size = 0
    try:
        # A plain walk: an export has tens of thousands of small files, and copytree's per-file extras add up.
        for folder, subfolders, names in os.walk(source):
            subfolders[:] = [name for name in subfolders if not name.startswith(".")]
            into = staging / Path(folder).relative_to(source)
            into.mkdir(parents=True, exist_ok=True)
            for name in names:
                if not name.startswith("."):
                    path = os.path.join(folder, name)
                    copy(path, os.path.join(into, name))
                    files += 1
                    size += os.path.getsize(path)
        if expect is not None and (files, size) != tuple(expect):
            # Files were deleted or cut short since the copy was stored: not the export it stands for.
            raise ValueError(f"expected {expect}, found {(files, size)}")
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return files, size


def _touch(path: Path) -> None:
    """Mark an entry as just used (pruning keeps the most recently used)."""
    with contextlib.suppress(OSError):
        os.utime(path)


@dataclass
class CacheStats:
    """What the cache did in one build (logged, and read by the benchmark)."""

    hits: int = 0
    misses: int = 0
    page_hits: int = 0
    validated_hits: int = 0
    columns_reused: int = 0  # analysed cases taken from the stored corpus columns
    corpus_hits: list[str] = field(default_factory=list)


class _Memo:
    """Values under names of the caller's choosing, keyed also by the code that computes them (see ``BuildCache.memo``)."""

    def __init__(self, cache: BuildCache, kind: str, files: tuple[str, ...]) -> None:
        self.cache, self.kind, self.files = cache, kind, files
        self.used: list[str] = []  # keys looked up or stored in this build (pruning keeps them)

    def _path(self, key: str) -> tuple[Path, str]:
        assert self.cache.folder is not None
        hashed = hashlib.sha256(f"{key}\0{fingerprint(self.files)}".encode()).hexdigest()
        self.used.append(hashed)
        return self.cache.folder / self.kind / hashed[:2] / f"{hashed}.pickle", hashed

    def get(self, key: str) -> Any:
        """The value stored under ``key`` by this code, or None."""
        if self.cache.folder is None:
            return None
        path, hashed = self._path(key)
        return _load_plain(path, hashed)

    def put(self, key: str, value: Any) -> None:
        """Keep a value (built-in types only)."""
        if self.cache.folder is not None:
            path, hashed = self._path(key)
            _dump_plain(path, hashed, value)


class BuildCache:
    """The cache folder of one build; ``folder=None`` turns every lookup into a miss and writes nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.stats = CacheStats()
        self.validated_keys: list[str] = []  # looked up in this build

    # -- analysed cases ----------------------------------------------------------------------------

    def _case_path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / "analysis" / key[:2] / f"{key}.pickle"

    def load_case(self, key: str, case_id: str) -> PreparedCase | None:
        """The analysed case stored under ``key``, or None (missing, unreadable or not this case)."""
        if self.folder is None:
            return None
        value = _load_plain(self._case_path(key), key)
        try:
            prepared = _from_plain(value) if value is not None else None
        except Exception:  # a readable entry of the wrong shape is a miss too
            return None
        return prepared if prepared is not None and prepared.id == case_id else None

    def store_case(self, key: str, prepared: PreparedCase) -> None:
        """Keep an analysed case for later builds."""
        if self.folder is not None:
            _dump_plain(self._case_path(key), key, _to_plain(prepared))

    def analyse(self, cases: Sequence[Case], keys: Sequence[str]) -> list[PreparedCase]:
        """Every case analysed (from the cache, or by MeCab and then stored), with its bag, in input order."""
        from indexer.search.schema import prepare
        from indexer.similar import bag_of

        result: list[PreparedCase] = []
        shared: dict[float, float] = {}
        # Loading builds many small containers and none of them is garbage: the collector would only
        # walk them again and again.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for case, key in zip(cases, keys, strict=True):
                prepared = self.load_case(key, case.id)
                if prepared is None:
                    self.stats.misses += 1
                    prepared = prepare(case, {})
                    prepared.bag = bag_of(prepared)
                    self.store_case(key, prepared)
                else:
                    self.stats.hits += 1
                result.append(_compact(prepared, shared))
        finally:
            if collecting:
                gc.enable()
        return result

    # -- corpus-level entries ----------------------------------------------------------------------

    def load_json(self, kind: str, key: str) -> Any:
        """A corpus-level JSON entry, or None."""
        if self.folder is None:
            return None
        try:
            stored = json.loads((self.folder / kind / f"{key}.json").read_text(encoding="utf-8"))
        except Exception:  # any damage to a cache file is a miss
            return None
        if not (isinstance(stored, dict) and stored.get("key") == key):
            return None
        _touch(self.folder / kind / f"{key}.json")
        self.stats.corpus_hits.append(kind)
        return stored.get("value")

    def store_json(self, kind: str, key: str, value: Any) -> None:
        """Keep a corpus-level JSON entry (older ones of the same kind beyond a few are removed)."""
        if self.folder is None:
            return
        data = json.dumps({"key": key, "value": value}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        _write_atomically(self.folder / kind / f"{key}.json", data.encode("utf-8"))
        self._prune(self.folder / kind)

    def load_export(self, key: str, out_dir: Path) -> dict[str, Any] | None:
        """Copy a cached export into ``out_dir`` (replacing it) and return its statistics; None on a miss."""
        if self.folder is None:
            return None
        folder = self.folder / "export" / key
        try:
            stats = json.loads((folder / _COMPLETE).read_text(encoding="utf-8"))
            if not (isinstance(stats, dict) and stats.get("key") == key and (folder / "manifest.json").is_file()):
                return None
            _copy_folder(folder, out_dir, expect=(int(stats["files"]), int(stats["bytes"])))
        except Exception:  # any damage to the cached copy is a miss (the export is written again)
            return None
        _touch(folder)
        self.stats.corpus_hits.append("export")
        return dict(stats["stats"])

    def latest_export(self) -> Path | None:
        """The most recently used complete export in the cache (its files may be linked into a new one), or None."""
        if self.folder is None:
            return None
        try:
            folders = [p for p in (self.folder / "export").iterdir() if (p / _COMPLETE).is_file()]
        except OSError:
            return None
        return max(folders, key=lambda p: (p.stat().st_mtime, p.name), default=None)

    def store_export(self, key: str, source: Path, stats: dict[str, Any]) -> None:
        """Copy a finished export into the cache; the marker with its statistics is written last."""
        if self.folder is None:
            return
        target = self.folder / "export" / key
        try:
            files, size = _copy_folder(source, target)
            marker = json.dumps({"key": key, "stats": stats, "files": files, "bytes": size},
                                ensure_ascii=False, sort_keys=True, default=str)
            (target / _COMPLETE).write_text(marker, encoding="utf-8")
        except OSError:
            shutil.rmtree(target, ignore_errors=True)
            return
        self._prune(target.parent)

    def _prune(self, folder: Path) -> None:
        try:
            entries = sorted((p for p in folder.iterdir() if not p.name.startswith(".")),
                             key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return
        for old in entries[KEEP_CORPUS_ENTRIES:]:
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    old.unlink()

    # -- the analysed corpus as columns -----------------------------------------------------------

    def load_columns(self) -> tuple[list[str], Columns] | None:
        """The analysed cases of the last build that stored them, as columns with their case keys; None if none."""
        from indexer.browser_export import Columns, table_names

        if self.folder is None:
            return None
        folder = self.folder / "corpus"
        try:
            stored = _load_plain(folder / "columns.pickle", fingerprint(CODE_FILES + EXPORT_FILES))
            if not isinstance(stored, dict):
                return None
            import numpy as np

            with np.load(folder / "columns.npz", allow_pickle=False) as arrays:
                if arrays["token"].tobytes().decode() != stored["token"]:
                    return None  # the two files of different builds
                tables = {name: (arrays[f"{name}.offsets"], arrays[f"{name}.terms"], arrays[f"{name}.values"])
                          for name in table_names()}
            keys, count = stored["keys"], len(stored["ids"])
            columns = Columns(stored["ids"], stored["hashes"], stored["metas"], stored["snippets"], stored["lengths"],
                              stored["vocabulary"], tables)
            if not (len(keys) == count and all(len(t[0]) == count + 1 and len(t[1]) == len(t[2]) == t[0][-1]
                                               for t in tables.values())):
                return None
        except Exception:  # any damage to the cached files is a miss
            return None
        return keys, columns

    def store_columns(self, keys: Sequence[str], columns: Columns) -> None:
        """Keep the analysed cases as columns for the next build (one entry: the latest corpus)."""
        if self.folder is None:
            return
        import numpy as np

        folder = self.folder / "corpus"
        token = os.urandom(16).hex()  # ties the two files of one write together
        arrays: dict[str, Any] = {"token": np.frombuffer(token.encode(), dtype=np.uint8)}
        for name, (offsets, terms, values) in columns.tables.items():
            arrays.update({f"{name}.offsets": offsets, f"{name}.terms": terms, f"{name}.values": values})
        value = {"token": token, "keys": list(keys), "ids": columns.ids, "hashes": columns.hashes, "metas": columns.metas,
                 "snippets": columns.snippets, "lengths": columns.lengths, "vocabulary": columns.vocabulary}
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temporary = folder / f".columns.{os.getpid()}.tmp.npz"
            np.savez(temporary, **arrays)
            os.replace(temporary, folder / "columns.npz")
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            return
        _dump_plain(folder / "columns.pickle", fingerprint(CODE_FILES + EXPORT_FILES), value)

    def memo(self, kind: str, files: tuple[str, ...] = CODE_FILES + EXPORT_FILES) -> _Memo:
        """A memo (``get``/``put`` by name) in ``<kind>/``, its entries keyed also by the fingerprint of ``files``.

        The browser export keeps its lexicon's MeCab results in one (``indexer.browser_export.Memo``).
        """
        return _Memo(self, kind, files)

    # -- validated files (``indexer.loader.ValidationMemo``) ----------------------------------------

    def get(self, key: str) -> Any:
        """A validated file's issues and checked values, or None."""
        if self.folder is None:
            return None
        self.validated_keys.append(key)
        value = _load_plain(self.folder / "validated" / key[:2] / f"{key}.pickle", key)
        if value is not None:
            self.stats.validated_hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        """Keep a validated file's issues and checked values."""
        if self.folder is not None:
            _dump_plain(self.folder / "validated" / key[:2] / f"{key}.pickle", key, value)

    # -- per-page entries ---------------------------------------------------------------------------

    def load_page(self, key: str) -> tuple[str, list[dict[str, Any]]] | None:
        """A rendered page (HTML and table of contents) stored under ``key``, or None."""
        if self.folder is None:
            return None
        try:
            stored = json.loads((self.folder / "pages" / key[:2] / f"{key}.json").read_text(encoding="utf-8"))
            if not (isinstance(stored, dict) and stored.get("key") == key):
                return None
            html, toc = stored["html"], stored["toc"]
            if not (isinstance(html, str) and isinstance(toc, list)):
                return None
        except Exception:  # any damage to a cache file is a miss
            return None
        self.stats.page_hits += 1
        return html, toc

    def store_page(self, key: str, html: str, toc: list[dict[str, Any]]) -> None:
        """Keep a rendered page for later builds."""
        if self.folder is not None:
            data = json.dumps({"key": key, "html": html, "toc": toc}, ensure_ascii=False, sort_keys=True)
            _write_atomically(self.folder / "pages" / key[:2] / f"{key}.json", data.encode("utf-8"))

    def prune(self, kind: str, used: Iterable[str], slack: int = 1000) -> int:
        """Remove per-case entries (``analysis``, ``pages``) not used by this build once there are far too many.

        Returns:
            The number of files removed.
        """
        if self.folder is None:
            return 0
        keep = set(used)
        root = self.folder / kind
        try:
            files = [p for sub in root.iterdir() if sub.is_dir() for p in sub.iterdir()]
        except OSError:
            return 0
        if len(files) <= 2 * len(keep) + slack:
            return 0
        removed = 0
        for path in files:
            if path.stem not in keep:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        return removed


class CorpusAnalysis:
    """The cases of one build with their cache keys; analysis and related lists are computed on first use.

    Shared by the two plugins: yokoten/cases asks for related cases, yokoten/search for the analysed
    cases of its export, and MeCab runs at most once per case (not at all for cases in the cache).
    """

    def __init__(self, cases: Sequence[Case], cache: BuildCache) -> None:
        self.cases = sorted(cases, key=lambda c: c.id)
        self.cache = cache
        self.keys = [case_key(case) for case in self.cases]
        self.ids = [case.id for case in self.cases]
        self._prepared: list[PreparedCase] | None = None
        self._columns: Columns | None = None

    def prepared(self) -> list[PreparedCase]:
        """Every case analysed, in id order."""
        if self._prepared is None:
            self._prepared = self.cache.analyse(self.cases, self.keys)
        return self._prepared

    def columns(self) -> Columns:
        """Every case analysed, as columns in id order: the cases of the last build reused, only the others analysed."""
        from indexer.browser_export import columns_of

        if self._columns is not None:
            return self._columns
        stored = self.cache.load_columns()
        if stored is not None and stored[0] == self.keys:
            self.cache.stats.columns_reused += len(self.keys)
            self._columns = stored[1]
            return self._columns
        where = {key: i for i, key in enumerate(stored[0])} if stored is not None else {}
        missing = [i for i, key in enumerate(self.keys) if key not in where]
        self.cache.stats.columns_reused += len(self.keys) - len(missing)
        if self._prepared is not None:
            fresh = [self._prepared[i] for i in missing]
        else:
            fresh = self.cache.analyse([self.cases[i] for i in missing], [self.keys[i] for i in missing])
        reuse = stored is not None and len(missing) < len(self.keys)
        new = columns_of(fresh, stored[1].vocabulary if stored is not None and reuse else None)
        if stored is None or not reuse:
            self._columns = new
        else:
            number = {i: j for j, i in enumerate(missing)}
            self._columns = new.gather([(stored[1], where[key]) if key in where else (new, number[i])
                                        for i, key in enumerate(self.keys)])
        self.cache.store_columns(self.keys, self._columns)
        return self._columns

    def related(self, limit: int) -> dict[str, list[str]]:
        """Up to ``limit`` related case ids per case (``indexer.similar``), from the cache when the corpus is unchanged."""
        from indexer.similar import similar_from_columns

        key = corpus_key("related", self.keys, limit)
        stored = self.cache.load_json("related", key)
        if isinstance(stored, dict) and set(stored) == {c.id for c in self.cases}:
            return {case_id: [str(i) for i in ids] for case_id, ids in stored.items()}
        columns = self.columns()
        offsets, terms, freqs = columns.tables["bag"]
        related = similar_from_columns(columns.ids, columns.vocabulary, offsets, terms, freqs, limit)
        self.cache.store_json("related", key, related)
        return related

    def export_key(self, *options: object) -> str:
        """The key of this corpus's browser export written with ``options`` (URL template, …)."""
        return corpus_key("export", self.keys, fingerprint(EXPORT_FILES), *options)
