"""Build the search index: streamed, incremental by content hash, swapped in atomically.

Layout of an index directory::

    INDEX/CURRENT          name of the live generation (replaced atomically with os.replace)
    INDEX/gen-<stamp>/     one complete index: whoosh files + doctable.json, lexicon.json,
                           related.json, cases.jsonl (per-case cache), meta.json (with the cases
                           folder it was built from), and browser/ (the browser export, written by
                           ``build --browser`` or on first use by ``search --engine browser``)
    INDEX/.tmp-<stamp>/    a build in progress (removed by the next build if it was killed)

A build writes a new generation beside the live one and only then points ``CURRENT`` at it, so a
build killed at any moment leaves the previous index usable. Unchanged cases (same content hash) are
not analysed again: their whoosh postings are carried over from the previous generation.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import marshal
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from indexer import analysis
from indexer.issues import CaseError, IssueLog
from indexer.loader import validator_fingerprint
from indexer.search.schema import SCHEMA_VERSION, PreparedCase, build_schema, content_hash, document, prepare
from indexer.search.scoring import WORD_FIELDS

CURRENT = "CURRENT"
KEEP_GENERATIONS = 2  # the live one and the one before (a reader may still be opening it)
WRITER_MB = 64  # whoosh's posting pool before it spills to disk; Python objects take several times this
PROGRESS_MIN = 50  # no progress bar for a handful of cases


class BuildLocked(RuntimeError):
    """Another build holds the index directory."""


class ExportUnavailable(RuntimeError):
    """The browser export of an index cannot be made (no index, or its cases are not where they were)."""


@dataclass
class BuildStats:
    """What a build did."""

    cases: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    full: bool = True
    reason: str = ""
    seconds: float = 0.0
    size_bytes: int = 0
    generation: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def current_generation(index_dir: Path | str) -> Path | None:
    """The live generation directory of an index, or ``None`` when there is none yet."""
    index_dir = Path(index_dir)
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = index_dir / name
    return path if name and path.is_dir() else None


def read_json(path: Path) -> Any:
    """Read a JSON sidecar file."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_json(path: Path, data: Any) -> None:
    """Write deterministic, compact, readable JSON and flush it to disk."""
    # json.dumps runs the C encoder; json.dump to a file would walk the data in Python (several times slower).
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def _lock(index_dir: Path, wait: bool = False) -> Iterator[None]:
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise BuildLocked(f"別の build が {index_dir} を更新中です。終わってから実行してください") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Progress:
    """A one-line progress bar on a terminal; silent otherwise."""

    def __init__(self, total: int, stream: IO[str] | None) -> None:
        self.total, self.stream, self.done, self.last = total, stream, 0, 0.0

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.stream is None or (now - self.last < 0.1 and self.done < self.total):
            return
        self.last = now
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        self.stream.write(f"\r索引を作成中 [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None and self.done:
            self.stream.write("\n")
            self.stream.flush()


def _copy_index(source: Path, target: Path) -> None:
    """Carry the whoosh files of the previous generation over (hard links: whoosh never rewrites a file)."""
    for item in source.iterdir():
        if item.is_file() and (item.suffix in (".toc", ".seg") or item.name.startswith("_")):
            try:
                os.link(item, target / item.name)
            except OSError:
                shutil.copy2(item, target / item.name)


class _Cache:
    """The per-case records of a generation: ``cases.jsonl`` (one JSON line per case) and its index
    ``cases-index.json`` (id -> file, raw file hash, content hash, offset), read lazily by offset so
    the records never all sit in memory."""

    def __init__(self, generation: Path | None) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self._handle: IO[bytes] | None = None
        if generation is None or not (generation / "cases-index.json").exists():
            return
        self.entries = read_json(generation / "cases-index.json")
        self._handle = open(generation / "cases.jsonl", "rb")  # noqa: SIM115 - closed by close()

    @property
    def hashes(self) -> dict[str, str]:
        """Case id -> content hash."""
        return {case_id: entry["hash"] for case_id, entry in self.entries.items()}

    def line(self, case_id: str) -> bytes:
        """The raw JSON line of a case."""
        assert self._handle is not None
        self._handle.seek(self.entries[case_id]["offset"])
        return self._handle.readline()

    def close(self) -> None:
        """Release the file."""
        if self._handle is not None:
            self._handle.close()


class _Records:
    """Writes ``cases.jsonl`` and remembers what ``cases-index.json`` needs."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.index: dict[str, dict[str, Any]] = {}
        self.offset = 0

    def add(self, case_id: str, line: bytes, file: str, raw: str, digest: str) -> None:
        self.handle.write(line)
        self.index[case_id] = {"file": file, "raw": raw, "hash": digest, "offset": self.offset}
        self.offset += len(line)

    def close(self) -> None:
        self.handle.close()


def _record(prepared: PreparedCase) -> bytes:
    # Only surfaces that differ from their term (子ども for 子供): the others are implied, and the file stays small.
    surfaces = {t: [s for s in forms if s != t] for t, forms in prepared.surfaces.items()}
    data = {"bag": prepared.bag, "hash": prepared.hash, "id": prepared.id, "meta": prepared.meta,
            "surfaces": {t: forms for t, forms in surfaces.items() if forms}}
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


class _NothingChanged(Exception):
    """Raised inside a build to abandon the new generation when the old one is identical."""


def _same(new: dict[str, dict[str, Any]], old: dict[str, dict[str, Any]]) -> bool:
    """Same cases from the same files with the same bytes (offsets aside)."""
    if new.keys() != old.keys():
        return False
    return all((e["file"], e["raw"], e["hash"]) == (old[k]["file"], old[k]["raw"], old[k]["hash"]) for k, e in new.items())


def _id_line(path: Path) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if line.startswith("id:"):
            return number
    return 1


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _write_sidecars(target: Path, stats: BuildStats, cases_dir: Path) -> None:
    from whoosh import index as whoosh_index

    from indexer.similar import similar_from_stream

    cache = target / "cases.jsonl"
    metas: dict[str, dict[str, Any]] = {}
    lexicon: dict[str, set[str]] = {}
    # One pass over the JSON records; the related-cases bags go to a scratch file as length-prefixed
    # marshal data, read back (twice) far faster than the JSON could be parsed again, and not held in memory.
    bag_ids: list[str] = []
    spill = target / ".bags.tmp"
    with open(spill, "wb") as handle:
        for record in _records(cache):
            metas[record["id"]] = record["meta"]
            for term, surfaces in record["surfaces"].items():
                lexicon.setdefault(term, set()).update(surfaces)
            data = marshal.dumps(record["bag"])
            handle.write(len(data).to_bytes(4, "little") + data)
            bag_ids.append(record["id"])

    def bags() -> Iterator[tuple[str, dict[str, float]]]:
        with open(spill, "rb") as handle:
            for case_id in bag_ids:
                size = int.from_bytes(handle.read(4), "little")
                yield case_id, marshal.loads(handle.read(size))

    ix = whoosh_index.open_dir(str(target))
    with ix.reader() as reader:
        doctable: list[dict[str, Any] | None] = []
        if reader.doc_count_all():  # an empty index has no columns
            ids = reader.column_reader("id")
            doctable = [None if reader.is_deleted(n) else metas[ids[n]] for n in range(reader.doc_count_all())]
    ix.close()
    write_json(target / "doctable.json", doctable)
    del doctable, metas
    write_json(target / "lexicon.json", {term: sorted(s) for term, s in lexicon.items()})
    del lexicon
    related = similar_from_stream(bags, limit=10)
    spill.unlink()
    write_json(target / "related.json", related)
    schema, analysis_version, weights = _versions(None)
    write_json(target / "meta.json", {"schema_version": schema, "analysis_version": analysis_version,
                                      "field_weights": weights, "validator": validator_fingerprint(), "cases": stats.cases,
                                      "cases_dir": str(cases_dir.resolve())})


def _write_meta(generation: Path, meta: dict[str, Any]) -> None:
    """Replace the ``meta.json`` of a live generation atomically (readers see the old or the new file)."""
    temporary = generation / "meta.json.tmp"
    write_json(temporary, meta)
    os.replace(temporary, generation / "meta.json")


def _versions(meta: dict[str, Any] | None) -> tuple[str, str, str]:
    """What decides whether an index can be updated in place: schema, analysis and the field weights
    baked into the pair and n-gram postings. ``None``: the versions of this code."""
    if meta is None:
        weights = ",".join(f"{name}={weight:g}" for name, (weight, _) in sorted(WORD_FIELDS.items()))
        return SCHEMA_VERSION, analysis.ANALYSIS_VERSION, weights
    return str(meta.get("schema_version")), str(meta.get("analysis_version")), str(meta.get("field_weights"))


def _swap(index_dir: Path, target: Path) -> Path:
    final = index_dir / target.name.replace(".tmp-", "gen-", 1)
    os.replace(target, final)
    pointer = index_dir / f"{CURRENT}.tmp"
    pointer.write_text(final.name + "\n", encoding="utf-8")
    with open(pointer, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    with contextlib.suppress(OSError):
        dir_fd = os.open(index_dir, os.O_RDONLY)
        os.fsync(dir_fd)
        os.close(dir_fd)
    return final


def _cleanup(index_dir: Path, keep: Path | None) -> None:
    gens = sorted((p for p in index_dir.glob("gen-*") if p.is_dir()), key=lambda p: p.name)
    old = [p for p in gens if p != keep][: max(0, len(gens) - KEEP_GENERATIONS)]
    for path in [*index_dir.glob(".tmp-*"), *old]:
        shutil.rmtree(path, ignore_errors=True)


def build_index(cases_dir: Path | str, index_dir: Path | str, *, progress: bool | None = None,
                full: bool = False, messages: IO[str] | None = None) -> BuildStats:
    """Build or update the search index of the cases under ``cases_dir``.

    Args:
        cases_dir: folder of case files (searched recursively).
        index_dir: index folder (created when missing).
        progress: show a progress bar on stderr (default: when stderr is a terminal).
        full: analyse every case again even when nothing changed.
        messages: where to write notices such as a schema-change rebuild (default: stderr).

    Returns:
        Counts of what changed, timing and the index size.

    Raises:
        CaseError: some case files are invalid (the previous index is left untouched).
        FileNotFoundError: ``cases_dir`` does not exist.
    """
    from whoosh import index as whoosh_index

    from indexer.loader import case_files, display_path, iter_validated
    from indexer.similar import bag_of

    started = time.perf_counter()
    cases_path, index_path = Path(cases_dir), Path(index_dir)
    if not cases_path.is_dir():
        raise FileNotFoundError(str(cases_path))
    index_path.mkdir(parents=True, exist_ok=True)
    out = messages if messages is not None else sys.stderr
    stats = BuildStats()
    with _lock(index_path):
        _cleanup(index_path, current_generation(index_path))
        previous = current_generation(index_path)
        old_meta = read_json(previous / "meta.json") if previous and (previous / "meta.json").exists() else None
        if previous is None or old_meta is None:
            stats.reason = "新しい索引"
        elif _versions(old_meta) != _versions(None):
            stats.reason = "索引の形式が変わったため、すべての事例から作り直します"
            print(f"{stats.reason}（{'/'.join(_versions(old_meta))} → {'/'.join(_versions(None))}）", file=out)
        elif full:
            stats.reason = "--full の指定"
        else:
            stats.full, stats.reason = False, "差分更新"
        old = _Cache(None if stats.full else previous)
        if not stats.full and not old.entries:
            stats.full, stats.reason = True, "前回の索引に事例の記録がないため、作り直します"
        target = index_path / f".tmp-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.time_ns() % 10**6:06d}"
        target.mkdir()
        try:
            if stats.full or previous is None:
                ix = whoosh_index.create_in(str(target), build_schema())
            else:
                _copy_index(previous, target)
                ix = whoosh_index.open_dir(str(target))
            writer = ix.writer(limitmb=WRITER_MB)
            files = case_files([cases_path])
            show = progress if progress is not None else (sys.stderr.isatty() and len(files) >= PROGRESS_MIN)
            bar = _Progress(len(files), sys.stderr if show else None)
            log = IssueLog()
            seen: dict[str, str] = {}  # case id -> file, for duplicate ids
            trusted = not stats.full and old_meta is not None and old_meta.get("validator") == validator_fingerprint()
            by_file = {entry["file"]: case_id for case_id, entry in old.entries.items()} if trusted else {}
            records = _Records(target / "cases.jsonl")
            try:
                changed: list[Path] = []
                raws: dict[str, tuple[str, str]] = {}  # displayed path -> (file, raw hash)
                for path in files:
                    file = path.relative_to(cases_path).as_posix() if path.is_relative_to(cases_path) else path.as_posix()
                    raw = hashlib.sha256(path.read_bytes()).hexdigest()
                    case_id = by_file.get(file)
                    if case_id is not None and old.entries[case_id]["raw"] == raw:
                        # Byte for byte the file validated last time: no parsing, no analysis.
                        records.add(case_id, old.line(case_id), file, raw, old.entries[case_id]["hash"])
                        seen[case_id] = file
                        stats.unchanged += 1
                        bar.step()
                    else:
                        changed.append(path)
                        raws[display_path(path)] = (file, raw)
                for case in iter_validated(changed, log):
                    bar.step()
                    file, raw = raws[case.path]
                    if case.id in seen:
                        log.add(case.path, _id_line(cases_path / file), "id",
                                f"id「{case.id}」は {seen[case.id]} でも使われています。別の id にしてください")
                        continue
                    seen[case.id] = file
                    digest = content_hash(case)
                    if old.entries.get(case.id, {}).get("hash") == digest:
                        records.add(case.id, old.line(case.id), file, raw, digest)
                        stats.unchanged += 1
                        continue
                    prepared = prepare(case, {})
                    prepared.bag = bag_of(prepared)  # from the same analysis: MeCab runs once per case
                    if case.id in old.entries:
                        writer.delete_by_term("id", case.id)
                        stats.updated += 1
                    else:
                        stats.added += 1
                    writer.add_document(**document(prepared))
                    records.add(case.id, _record(prepared), file, raw, digest)
                bar.close()
                if log.errors:
                    raise CaseError(sorted(log.errors))
                for case_id in sorted(set(old.entries) - set(seen)):
                    writer.delete_by_term("id", case_id)
                    stats.removed += 1
                if not stats.full and _same(records.index, old.entries):
                    raise _NothingChanged
                writer.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.cancel()
                raise
            finally:
                ix.close()
                old.close()
                records.close()
            write_json(target / "cases-index.json", records.index)
            stats.cases = len(seen)
            _write_sidecars(target, stats, cases_path)
            final = _swap(index_path, target)
        except _NothingChanged:
            # Every file is byte for byte as indexed: keep the live generation as it is.
            shutil.rmtree(target, ignore_errors=True)
            assert previous is not None
            final = previous
            stats.cases, stats.reason = len(seen), "変更なし"
            fresh = {"validator": validator_fingerprint(), "cases_dir": str(cases_path.resolve())}
            if old_meta is not None and any(old_meta.get(key) != value for key, value in fresh.items()):
                # Every case passed the current validator: record it, or each later run would validate all
                # again; and where the cases are now, for the browser export made on first use.
                _write_meta(previous, {**old_meta, **fresh})
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        _cleanup(index_path, final)
    stats.generation = final.name
    stats.size_bytes = sum(p.stat().st_size for p in final.iterdir() if p.is_file())
    stats.seconds = round(time.perf_counter() - started, 3)
    return stats


def ensure_browser_export(index_dir: Path | str, *, messages: IO[str] | None = None) -> Path:
    """The browser export of the live generation (``<generation>/browser``), written first when missing.

    ``build`` leaves it out unless asked (``--browser``): it takes as long as the index itself and most
    uses of the index never need it. It is made from the very files the index was built from: the
    cases folder recorded in ``meta.json``, each file checked against the hash the build recorded. Unlike
    the site's export, it keeps full precision (``EXACT_DIGITS``), so ``search --engine browser --json``
    prints what the whoosh engine prints.

    Args:
        index_dir: the index folder.
        messages: where to say that the export is being made (default: stderr).

    Returns:
        The export folder.

    Raises:
        ExportUnavailable: there is no index, or its case files changed or moved since it was built.
        CaseError: a case no longer passes validation (rules that depend on the date).
    """
    index_path = Path(index_dir)
    out = messages if messages is not None else sys.stderr
    generation = current_generation(index_path)
    if generation is None:
        raise ExportUnavailable(f"索引がありません: {index_path.as_posix()}"
                                f"（先に python -m indexer build --index {index_path.as_posix()} を実行してください）")
    if (generation / "browser" / "manifest.json").exists():
        return generation / "browser"
    if not os.access(index_path, os.W_OK):
        raise ExportUnavailable(f"索引フォルダに書き込めないため、ブラウザ用の索引を作れません: {index_path.as_posix()}")
    with _lock(index_path, wait=True):
        return _write_export(index_path, out)


def _write_export(index_path: Path, out: IO[str]) -> Path:
    from indexer.browser_export import EXACT_DIGITS, write_browser_index
    from indexer.loader import case_files, load_cases

    generation = current_generation(index_path)  # a build may have replaced it while we waited
    assert generation is not None
    export = generation / "browser"
    if (export / "manifest.json").exists():
        return export
    meta = read_json(generation / "meta.json") if (generation / "meta.json").exists() else {}
    recorded_dir = meta.get("cases_dir")
    if not recorded_dir:
        raise ExportUnavailable("この索引には事例フォルダの記録がないため、ブラウザ用の索引を作れません。"
                                f"python -m indexer build --cases 事例フォルダ --index {index_path.as_posix()} を実行してください")
    cases_path = Path(recorded_dir)
    recorded = {entry["file"]: entry["raw"] for entry in read_json(generation / "cases-index.json").values()}
    files = {path.relative_to(cases_path).as_posix(): path for path in case_files([cases_path])} if cases_path.is_dir() else {}
    if files.keys() != recorded.keys() or any(
            hashlib.sha256(files[name].read_bytes()).hexdigest() != raw for name, raw in recorded.items()):
        raise ExportUnavailable(f"索引を作ったあとで事例フォルダ {cases_path.as_posix()} の中身が変わっています。"
                                f"python -m indexer build --cases {cases_path.as_posix()} --index {index_path.as_posix()} "
                                "で索引を更新してから検索してください")
    print(f"ブラウザ用の索引を作っています（{len(files)} 件。この索引では初回だけです）", file=out)
    write_browser_index(load_cases([cases_path]), export, digits=EXACT_DIGITS)
    return export
