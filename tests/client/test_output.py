"""``output``: values printed literally, one line each; progress lines' figures."""

from __future__ import annotations

import io
import logging

from partner_client.output import LogLine, Output, ProgressLines, literal


def test_literal_keeps_markup_and_shows_control_characters():
    assert literal("[bold]x[/x] :smile:") == "[bold]x[/x] :smile:"
    assert literal("a\nb\r\n\tc") == "a b c"
    assert literal("\x1b[31mred\x07\x9b") == "\\x1b[31mred\\x07\\x9b"
    assert literal(None) == ""


def test_messages_and_tables_are_printed_as_given_and_never_wrapped():
    out, err = io.StringIO(), io.StringIO()
    output = Output(stdout=out, stderr=err)
    long = "x" * 150
    output.error(f"[red]{long}[/red] :smile:")
    output.table("[b]title", ["what"], [["[/x]"], [long]])
    assert err.getvalue() == f"error: [red]{long}[/red] :smile:\n"
    assert "[b]title" in out.getvalue() and "[/x]" in out.getvalue() and long in out.getvalue()


def test_a_json_run_prints_the_document_alone():
    out, err = io.StringIO(), io.StringIO()
    output = Output(json_mode=True, stdout=out, stderr=err)
    output.note("a table would go here")
    output.table("t", ["a"], [["1"]])
    output.document({"status": "done", "name": "[b]"})
    assert out.getvalue() == '{"status": "done", "name": "[b]"}\n'


def test_progress_lines_at_most_every_interval_with_rate_and_time_left():
    now = [0.0]
    err = io.StringIO()
    lines = ProgressLines(Output(stderr=err).err, "push", 1000, interval=5, clock=lambda: now[0])
    for _ in range(10):
        now[0] += 1
        lines.advance(50)
    assert err.getvalue().splitlines() == ["push: 250 of 1,000 records, 50 a second, about 15 s left",
                                           "push: 500 of 1,000 records, 50 a second, about 10 s left"]


def test_log_records_are_one_literal_line_labelled_like_messages():
    record = logging.LogRecord("partner_client.retry", logging.WARNING, __file__, 1,
                               "%s: %s; try %d of %d", ("GET ?wsdl", "[b]a\nb", 2, 3), None)
    assert LogLine().format(record) == "warning: GET ?wsdl: [b]a b; try 2 of 3"
