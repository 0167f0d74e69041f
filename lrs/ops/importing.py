"""Importing statements from a JSON array or NDJSON stream into a store, in batches.

Every statement goes through the xAPI API's rules: the validation of a statements POST
(``lrs.xapi.validate``, attachments need a ``fileUrl`` as in an ``application/json`` POST, a
signature attachment must be ``application/octet-stream``), the record the statements resource
builds (``lrs.statements.build``), and the store's batch insert with its conflict and voiding
rules (``lrs.statements.plan``): a statement whose id is stored with the same content is
*already present* (nothing changes), one stored with other content is rejected, voiding works in
either order.

Unlike an xAPI POST, a batch is not all or nothing: each statement is validated on its own and
a rejected one is left out of its batch; when the store refuses a batch (a conflict), the batch is
split in halves until the refused statements stand alone, so only they are rejected.

What an import keeps from the input (a backup restores as it was): a statement's ``stored`` and
``authority`` when it has them; the others get the batch's storage instant and the importing
client's authority. ``as_new=True`` treats every statement as an xAPI POST would: ``stored`` now,
``authority`` the client's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from queue import Queue
from typing import Any, BinaryIO

import orjson

from lrs.core.errors import BadRequest, Conflict, LrsError, NotFound
from lrs.core.timeutil import utc_now
from lrs.ops.statement_source import (
    JSON_ARRAY,
    NDJSON,
    UNPARSED,
    InputError,
    SourceItem,
    open_statement_source,
)
from lrs.statements.build import build_record
from lrs.statements.record import StatementRecord
from lrs.store.base import Store
from lrs.store.models import Client
from lrs.xapi.attachments import statement_attachments
from lrs.xapi.signature import verify_signed_statements
from lrs.xapi.timestamps import parse_timestamp
from lrs.xapi.validate import validate_statement
from lrs.xapi.versions import XAPI_2_0_0

DEFAULT_BATCH_SIZE = 500
#: Imported statements are checked, and get a ``version`` if they have none, as a statements POST
#: under this xAPI version would: 2.0.0's rules take every 1.0.x statement as well.
IMPORT_VERSION = XAPI_2_0_0
#: Rejections kept with their message for the summary; the rest are only counted (and written
#: to the rejects file, if any).
LISTED_REJECTIONS = 1000


@dataclass(frozen=True)
class Rejection:
    """A statement that was not stored, and why."""

    position: int  # NDJSON: 1-based line number; JSON array: 0-based element index
    message: str


@dataclass
class ImportSummary:
    """What an import read and did."""

    format: str = ""  # "ndjson", "json" (an array) or "empty"
    read: int = 0
    stored: int = 0
    already_present: int = 0
    rejected: int = 0
    #: The first ``LISTED_REJECTIONS`` rejections, in input order.
    rejections: list[Rejection] = field(default_factory=list)
    #: Why the import stopped before the end of the input (None: it read everything).
    stopped_by: str | None = None

    @property
    def position_name(self) -> str:
        """How a rejection's position is named: ``line`` (NDJSON) or ``element`` (array)."""
        return "element" if self.format == JSON_ARRAY else "line"


class RejectsWriter:
    """Writes rejected statements verbatim: NDJSON lines as lines, array elements as a JSON
    array, so the file can be corrected and imported again."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._format = NDJSON
        self._count = 0

    def start(self, input_format: str) -> None:
        """The input's format, known once its first bytes are read."""
        self._format = input_format

    def write(self, raw: bytes) -> None:
        """One rejected line or element."""
        if self._format == JSON_ARRAY:
            self._out.write(b"[\n" if self._count == 0 else b",\n")
        self._out.write(raw)
        if self._format != JSON_ARRAY:
            self._out.write(b"\n")
        self._count += 1

    def finish(self) -> None:
        """Close the array (when there is one) and flush."""
        if self._format == JSON_ARRAY and self._count:
            self._out.write(b"\n]\n")
        self._out.flush()


@dataclass(slots=True)
class _Checked:
    item: SourceItem
    statement: dict[str, Any]


@dataclass(slots=True)
class _Built:
    item: SourceItem
    record: StatementRecord


def check_statement(item: SourceItem) -> dict[str, Any]:
    """Parse and validate one statement as a statements POST under xAPI 2.0.0 would (which
    takes every 1.0.x statement too); ``BadRequest`` names the path at fault
    (``actor.mbox: ...``)."""
    statement = item.value
    if statement is UNPARSED:
        try:
            statement = orjson.loads(item.raw)
        except orjson.JSONDecodeError as error:
            raise BadRequest(f"not valid JSON: {error}") from None
    validate_statement(statement, version=IMPORT_VERSION)
    for path, attachment in statement_attachments(statement):
        if "fileUrl" not in attachment:
            raise BadRequest(
                f"{path}: an attachment without fileUrl needs its data, which an import cannot "
                "carry (xAPI: send it as multipart/mixed)",
                field=path,
            )
    try:
        verify_signed_statements([statement], {}, IMPORT_VERSION)
    except BadRequest as error:  # its paths start with the batch index, "[0]."
        message = error.message.removeprefix("[0].")
        raise BadRequest(message, field=(error.field or "").removeprefix("[0].")) from None
    return statement


class _Importer:
    """One import's state: the summary, the rejects, the batch being filled."""

    def __init__(
        self,
        store: Store,
        lrs_id: str,
        client: Client,
        *,
        rejects: RejectsWriter | None,
        as_new: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.lrs_id = lrs_id
        self.client = client
        self.rejects = rejects
        self.as_new = as_new
        self.clock = clock
        self.summary = ImportSummary()
        self._authors: dict[bytes, Client] = {}
        self._rejecting = threading.Lock()  # both threads reject

    def reject(self, item: SourceItem, message: str) -> None:
        """Count a rejected statement, keep its reason and write it to the rejects file."""
        with self._rejecting:
            summary = self.summary
            summary.rejected += 1
            if len(summary.rejections) < LISTED_REJECTIONS:
                summary.rejections.append(Rejection(item.position, message))
            if self.rejects is not None:
                self.rejects.write(item.raw)

    def build(self, batch: list[_Checked]) -> list[_Built]:
        """The records of a batch, as the statements resource builds them."""
        now = self.clock()
        built = []
        for checked in batch:
            statement = checked.statement
            stored = now
            author = self.client
            if not self.as_new:
                stored = _kept_stored(statement) or now
                author = self._author(statement)
            record = build_record(
                statement,
                client=author,
                lrs_id=self.lrs_id,
                stored=stored,
                statement_version=IMPORT_VERSION.statement_version,
            )
            built.append(_Built(checked.item, record))
        return built

    def _author(self, statement: dict[str, Any]) -> Client:
        """The client to build with: the importing one, carrying the statement's authority when
        it has one (so it is kept)."""
        authority = statement.get("authority")
        if authority is None:
            return self.client
        key = orjson.dumps(authority, option=orjson.OPT_SORT_KEYS)
        author = self._authors.get(key)
        if author is None:
            if len(self._authors) > 1000:
                self._authors.clear()
            author = dataclasses.replace(self.client, authority=authority)
            self._authors[key] = author
        return author

    def insert(self, batch: list[_Built]) -> None:
        """Insert a batch; when the store refuses it, insert its halves, down to single
        statements, which are then rejected with the store's reason."""
        try:
            added = self.store.insert_statements(self.lrs_id, [b.record for b in batch])
        except (BadRequest, Conflict) as error:
            if len(batch) == 1:
                self.reject(batch[0].item, error.message)
                return
            middle = len(batch) // 2
            self.insert(batch[:middle])
            self.insert(batch[middle:])
            return
        self.summary.stored += added
        self.summary.already_present += len(batch) - added


def _kept_stored(statement: dict[str, Any]) -> datetime | None:
    value = statement.get("stored")
    return parse_timestamp(value) if isinstance(value, str) else None


def import_statements(
    store: Store,
    lrs_id: str,
    source: BinaryIO,
    *,
    client: Client,
    batch_size: int = DEFAULT_BATCH_SIZE,
    rejects: RejectsWriter | None = None,
    as_new: bool = False,
    on_progress: Callable[[ImportSummary], None] | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ImportSummary:
    """Import every statement of ``source`` (a JSON array or NDJSON, gzipped or not) into the
    store ``lrs_id`` as ``client`` (whose id and organisation the records carry).

    Returns the summary; ``on_progress`` gets it after each batch. Rejected statements do not
    stop the import. What does (``summary.stopped_by`` says why): input that turns out not to
    be a JSON array or NDJSON halfway (``InputError``; the valid statements before that point
    are stored), a store that is gone or a database that is down (the batches before are
    stored). ``InputError`` at the first bytes and ``NotFound`` for an unknown store are
    raised. Reading, parsing and validating run in a second thread while the store writes the
    previous batch.
    """
    if batch_size < 1:
        raise BadRequest("the batch size must be at least 1", field="batch_size")
    lrs = store.get_lrs(lrs_id)
    if lrs is None:
        raise NotFound(f"store {lrs_id} does not exist")
    if client.organisation_id != lrs.organisation_id:
        raise BadRequest(
            f"client {client.id} belongs to another organisation than store {lrs_id}",
            field="client",
        )
    importer = _Importer(store, lrs_id, client, rejects=rejects, as_new=as_new, clock=clock)
    opened = open_statement_source(source)
    summary = importer.summary
    summary.format = opened.format
    if rejects is not None:
        rejects.start(opened.format)
    try:
        for batch in _prepared_batches(opened.items, importer, batch_size):
            importer.insert(batch)
            if on_progress is not None:
                on_progress(summary)
    except LrsError as error:
        summary.stopped_by = error.message
    finally:
        if rejects is not None:
            rejects.finish()
    if summary.stored:
        # A large import changes what the planner should expect; autovacuum would only notice
        # a minute or so later. Failing here loses nothing: the statements are stored.
        with contextlib.suppress(LrsError):
            store.refresh_statistics()
    summary.rejections.sort(key=lambda rejection: rejection.position)
    return summary


# What the reading thread hands over: a batch to insert, the end, or the error that stopped it.
_Handover = list[_Built] | BaseException | None


def _prepared_batches(
    items: Iterator[SourceItem], importer: _Importer, batch_size: int
) -> Iterator[list[_Built]]:
    """Built batches, prepared one ahead in a thread: the store's round trips release the GIL,
    so reading and validating the next batch overlaps writing this one.

    Rejections found while checking are recorded from the reading thread; the summary's other
    counts only change in the caller's thread.
    """
    handover: Queue[_Handover] = Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in _checked_batches(items, importer, batch_size):
                if stop.is_set():
                    return
                handover.put(importer.build(batch))
            handover.put(None)
        except BaseException as error:  # handed to the caller's thread, raised there
            handover.put(error)

    thread = threading.Thread(target=produce, name="lrs-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            got = handover.get()
            if got is None:
                return
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            while not handover.empty():
                handover.get_nowait()
            thread.join(timeout=0.05)


def _checked_batches(
    items: Iterator[SourceItem], importer: _Importer, batch_size: int
) -> Iterator[list[_Checked]]:
    """Valid statements in batches; invalid ones are rejected on the way. A statement whose id
    is already in the batch being filled starts a new batch (an xAPI batch may not repeat an id;
    the next batch then sees the first one stored)."""
    summary = importer.summary
    batch: list[_Checked] = []
    ids: set[str] = set()
    try:
        for item in items:
            summary.read += 1
            try:
                statement = check_statement(item)
            except LrsError as error:
                importer.reject(item, error.message)
                continue
            statement_id = statement.get("id")
            key = statement_id.lower() if isinstance(statement_id, str) else None
            if key is not None and key in ids:
                yield batch
                batch, ids = [], set()
            batch.append(_Checked(item, statement))
            if key is not None:
                ids.add(key)
            if len(batch) >= batch_size:
                yield batch
                batch, ids = [], set()
    except InputError:
        if batch:  # what was read before the input broke is stored
            yield batch
        raise
    if batch:
        yield batch
