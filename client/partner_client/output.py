"""How ``partner-client`` writes: results on stdout, messages on stderr, text always literal.

- Nothing from data, files or the network is ever read as rich markup or emoji codes:
  both consoles have markup and emoji off, and every value goes through ``literal``
  (control characters shown as ``\\xNN``, line breaks and tabs as spaces, so a value
  cannot move the cursor, colour the terminal or split a message over lines).
- One message, one line: nothing is wrapped (``soft_wrap``), and when a stream is not a
  terminal (cron, CI, a log file) tables get all the width they need instead of 80 columns.
- Results (tables, summaries, the ``--json`` document) go to stdout; errors, warnings and
  progress to stderr.
- Progress: rich's live bar on a terminal; elsewhere a line at most every
  ``PARTNER_CLIENT_PROGRESS_SECONDS`` (default 5) with records done, rate and time left.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from enum import IntEnum
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"[\t\n\r]+")
_WIDE = 10_000  # not a terminal: a table as wide as its content


class ExitCode(IntEnum):
    """The exit status of every ``partner-client`` command."""

    DONE = 0  # everything done
    SOME_FAILED = 1  # the run finished, some records or items failed (see the report)
    STOPPED = 2  # stopped early or could not start (usage, sheet, input file, partner unreachable)


def literal(value: Any) -> str:
    """A value as one line of plain text: line breaks and tabs as spaces, other control
    characters as ``\\xNN``."""
    text = _BREAKS.sub(" ", "" if value is None else str(value))
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class LogLine(logging.Formatter):
    """A log record (retries; requests with ``-v``) as one literal line labelled like the
    other messages: ``warning: GET ?wsdl: cannot reach ...; try 2 of 3 in 0.5 s``."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {literal(super().format(record))}"


def _console(stream) -> Console:
    console = Console(file=stream, markup=False, emoji=False, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = _WIDE
    return console


class Output:
    """The two streams of one command run. ``json_mode``: stdout holds one JSON document
    and nothing else."""

    def __init__(self, json_mode: bool = False, stdout=None, stderr=None):
        self.json_mode = json_mode
        self.out = _console(stdout or sys.stdout)
        self.err = _console(stderr or sys.stderr)

    def _message(self, label: str, style: str, message: Any) -> None:
        self.err.print(Text.assemble((label, style), literal(message)), soft_wrap=True)

    def error(self, message: Any) -> None:
        self._message("error: ", "bold red", message)

    def warning(self, message: Any) -> None:
        self._message("warning: ", "yellow", message)

    def note(self, message: Any, style: str = "") -> None:
        """A line of the result (stdout); left out of a ``--json`` run."""
        if not self.json_mode:
            self.out.print(Text(literal(message), style=style), soft_wrap=True)

    def table(self, title: Any, columns: list[str], rows: list[list[Any]],
              right: tuple[str, ...] = ()) -> None:
        if self.json_mode:
            return
        table = Table(title=Text(literal(title)))
        for column in columns:
            table.add_column(Text(column), justify="right" if column in right else "left")
        for row in rows:
            table.add_row(*(Text(literal(cell)) for cell in row))
        self.out.print(table)

    def document(self, value: dict) -> None:
        """The ``--json`` result: one document, one line, on stdout."""
        self.out.file.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
        self.out.file.flush()

    def progress(self, what: str, total: int | None) -> ProgressReport:
        if self.err.is_terminal:
            return LiveProgress(self.err, what, total)
        return ProgressLines(self.err, what, total)


class ProgressReport:
    def __enter__(self) -> ProgressReport:
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def advance(self, count: int) -> None:
        raise NotImplementedError


class LiveProgress(ProgressReport):
    """rich's live bar (a terminal)."""

    def __init__(self, console: Console, what: str, total: int | None):
        columns = [TextColumn(literal(what)), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        self._progress = Progress(*columns, console=console, transient=False)
        self._task = self._progress.add_task(what, total=total)

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._progress.stop()

    def advance(self, count: int) -> None:
        self._progress.advance(self._task, count)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class ProgressLines(ProgressReport):
    """A line at most every few seconds (not a terminal): done, rate, time left."""

    def __init__(self, console: Console, what: str, total: int | None, interval: float | None = None,
                 clock=time.monotonic):
        self.console, self.what, self.total, self.clock = console, what, total, clock
        if interval is None:
            interval = float(os.environ.get("PARTNER_CLIENT_PROGRESS_SECONDS") or 5)
        self.interval = interval
        self.done = 0
        self.started = self.last = clock()

    def advance(self, count: int) -> None:
        self.done += count
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            self.console.print(Text(self.line(now - self.started)), soft_wrap=True)

    def line(self, elapsed: float) -> str:
        rate = self.done / elapsed if elapsed > 0 else 0.0
        of = f" of {self.total:,}" if self.total else ""
        text = f"{literal(self.what)}: {self.done:,}{of} records, {rate:,.0f} a second"
        if self.total and rate > 0:
            text += f", about {_duration(max(0, self.total - self.done) / rate)} left"
        return text
