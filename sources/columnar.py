"""Columnar copies of parsed dataset files: each version of a file is parsed once, later reads come from Parquet."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sources.contracts import Contract, contract_for
from sources.parser import PROBLEM_SCHEMA, ROW, ParseResult

# Part of every key: bump it when the parser's output for the same file changes, so older copies are not reused.
PARSE_FORMAT = "4"
_META_SUFFIX = ".json"
_FRAME_SUFFIX = ".parquet"
_PROBLEMS_SUFFIX = ".problems.parquet"
_CHECKS_PREFIX = "checks-"


@dataclass(frozen=True)
class FileIdentity:
    """What identifies one version of a file without reading it: its absolute path, size and modification time."""

    path: Path
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity | None:
        """The identity of the file at ``path`` now; None when there is no such file."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return cls(path.resolve(), stat.st_size, stat.st_mtime_ns)

    def key(self, contract: Contract) -> str:
        """The key of this version parsed against ``contract`` (the contract's columns are part of it)."""
        columns = ";".join(f"{column.name}:{column.dtype}:{column.required}" for column in contract.columns)
        text = f"{PARSE_FORMAT}|{contract.name}|{columns}|{self.path}|{self.size}|{self.mtime_ns}"
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def _place(path: Path) -> str:
    """A short name for where a file lives, so copies of files in different data directories never collide."""
    return hashlib.sha256(str(path).encode()).hexdigest()[:10]


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file renamed over ``path``, so another process never reads half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ParseCache:
    """Parsed dataset files (frame with row numbers, problems, notes) and the checks between them, as Parquet."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _stem(self, name: str, identity: FileIdentity) -> str:
        return f"{name}-{_place(identity.path)}-{identity.key(contract_for(name))}"

    def read(self, name: str, identity: FileIdentity, *, with_rows: bool = True) -> ParseResult | None:
        """The parse of this file version when a complete copy exists; None otherwise.

        Without ``with_rows`` the frame comes without its ``_row`` column (only the checks between datasets need it).
        Its compact columns come as written: Categoricals (``Contract.compact``; ``Contract.exact`` gives them back as
        text).
        """
        stem = self._stem(name, identity)
        try:
            # the notes file is written last, so when it exists the Parquet files beside it are complete
            meta = json.loads((self.directory / f"{stem}{_META_SUFFIX}").read_text(encoding="utf-8"))
            contract = contract_for(name)
            columns = [*([ROW] if with_rows else []), *contract.schema]
            frame = pl.read_parquet(self.directory / f"{stem}{_FRAME_SUFFIX}", columns=columns)
            problems = pl.read_parquet(self.directory / f"{stem}{_PROBLEMS_SUFFIX}")
        except (OSError, ValueError, pl.exceptions.PolarsError):
            # missing, removed by a newer version meanwhile, or unreadable: the caller parses the file again
            return None
        if (
            not isinstance(meta, dict)
            or meta.get("format") != PARSE_FORMAT
            or not isinstance(meta.get("notes"), list)
            or problems.schema != PROBLEM_SCHEMA
        ):
            return None
        return ParseResult(contract, str(meta.get("source")), frame, problems, [str(note) for note in meta["notes"]])

    def write(self, name: str, identity: FileIdentity, result: ParseResult) -> None:
        """Keep ``result`` as the parse of this file version, and drop the copies of the file's older versions."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = self._stem(name, identity)
        # compact: read back as the dashboard holds it, with no casting in a new process
        _write_atomically(
            self.directory / f"{stem}{_FRAME_SUFFIX}", result.contract.compact(result.frame).write_parquet
        )
        _write_atomically(self.directory / f"{stem}{_PROBLEMS_SUFFIX}", result.problems.write_parquet)
        meta = json.dumps({"format": PARSE_FORMAT, "source": result.source, "notes": list(result.notes)})
        _write_atomically(self.directory / f"{stem}{_META_SUFFIX}", lambda path: path.write_text(meta, "utf-8"))
        self._remove_others(f"{name}-{_place(identity.path)}-", stem)

    def checks_key(self, identities: Mapping[str, FileIdentity]) -> str:
        """The key of the checks between datasets for this set of file versions."""
        text = "|".join(f"{name}={identity.key(contract_for(name))}" for name, identity in sorted(identities.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def _checks_path(self, data_dir: Path, key: str) -> Path:
        return self.directory / f"{_CHECKS_PREFIX}{_place(data_dir.resolve())}-{key}{_FRAME_SUFFIX}"

    def read_checks(self, data_dir: Path, key: str) -> dict[str, pl.DataFrame] | None:
        """The problems found between datasets for these versions (dataset → problems); None when not kept."""
        try:
            kept = pl.read_parquet(self._checks_path(data_dir, key))
        except (OSError, pl.exceptions.PolarsError):
            return None
        return {
            str(name): part.drop("dataset")
            for (name,), part in kept.partition_by("dataset", as_dict=True, maintain_order=True).items()
        }

    def write_checks(self, data_dir: Path, key: str, problems: Mapping[str, pl.DataFrame]) -> None:
        """Keep the problems found between datasets for these versions, and drop those of older versions."""
        self.directory.mkdir(parents=True, exist_ok=True)
        parts = [frame.select(pl.lit(name).alias("dataset"), *PROBLEM_SCHEMA) for name, frame in problems.items()]
        empty = pl.DataFrame(schema={"dataset": pl.String(), **PROBLEM_SCHEMA})
        kept = pl.concat([empty, *parts]) if parts else empty
        path = self._checks_path(data_dir, key)
        _write_atomically(path, kept.write_parquet)
        self._remove_others(f"{_CHECKS_PREFIX}{_place(data_dir.resolve())}-", path.name.removesuffix(_FRAME_SUFFIX))

    def _remove_others(self, prefix: str, keep: str) -> None:
        for path in self.directory.glob(f"{prefix}*"):
            if not path.name.startswith(f"{keep}."):
                # a reader that already opened an older copy keeps its handle; one that has not falls back to parsing
                path.unlink(missing_ok=True)


class DerivedCache:
    """Frames derived from a data version (prepared for the pages), kept as Parquet so a new process reads them instead
    of deriving them again; the newest ``keep`` versions of each name stay, older ones are removed.

    ``code`` names the code that derives them (``ui.data.code_version``): a copy another release made is derived again,
    never read back.
    """

    def __init__(self, directory: Path, keep: int = 4, code: str = "") -> None:
        self.directory = Path(directory)
        self.keep = keep
        self.code = code

    def frames(
        self, name: str, version: str, derive: Callable[[], Mapping[str, pl.DataFrame]], parts: Sequence[str]
    ) -> dict[str, pl.DataFrame]:
        """The frames ``derive()`` makes for ``version`` (named ``parts``): read back when a copy exists, else derived
        and written (atomically: a reader sees all parts or derives them itself)."""
        stem = self._stem(name, version)
        paths = {part: self.directory / f"{stem}.{part}{_FRAME_SUFFIX}" for part in parts}
        marker = self.directory / f"{stem}{_META_SUFFIX}"
        if marker.is_file():
            try:
                return {part: pl.read_parquet(path) for part, path in paths.items()}
            except (OSError, pl.exceptions.PolarsError):
                pass  # a broken copy is derived again below
        derived = dict(derive())
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for part, path in paths.items():
                _write_atomically(path, derived[part].write_parquet)
            _write_atomically(marker, lambda target: target.write_text(json.dumps({"version": version})))
            self._prune(name)
        except (OSError, pl.exceptions.PolarsError):
            pass  # a read-only or full disk (or a frame Parquet cannot hold) costs speed, never the page
        return derived

    def has(self, name: str, version: str) -> bool:
        """True when the frames of ``name`` for ``version`` are kept (written whole), without reading them."""
        return (self.directory / f"{self._stem(name, version)}{_META_SUFFIX}").is_file()

    def _stem(self, name: str, version: str) -> str:
        return f"{name}-{hashlib.sha256(f'{version}|{self.code}'.encode()).hexdigest()[:20]}"

    def _prune(self, name: str) -> None:
        markers = sorted(self.directory.glob(f"{name}-*{_META_SUFFIX}"), key=lambda path: path.stat().st_mtime)
        for marker in markers[: max(len(markers) - self.keep, 0)]:
            stem = marker.name.removesuffix(_META_SUFFIX)
            marker.unlink(missing_ok=True)
            for path in self.directory.glob(f"{stem}.*{_FRAME_SUFFIX}"):
                path.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: parse a data directory's files once and keep their columnar copies, e.g. before a server starts."""
    from sources.files import load_bundle  # noqa: PLC0415 - sources.files imports this module

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("columnar_dir", type=Path)
    arguments = parser.parse_args(argv)
    bundle = load_bundle(arguments.data_dir, columnar_dir=arguments.columnar_dir)
    for name, info in bundle.sources.items():
        print(f"{name:<15} {info.status:<8} {info.rows:>12,} rows {info.problems.height:>8,} problems")


if __name__ == "__main__":
    main()
