"""``partner-client`` and ``python -m partner_client``: the command line (``cli``), started and
ended with the cyclic garbage collector told that this is a short-lived process.

Start-up imports zeep, requests, SQLAlchemy, click and rich: about 100,000 objects that
live until exit, over which the collector would run over a hundred times while they are
made (a noticeable share of start-up, see bench/README.md). They are frozen once made
(``gc.freeze``), so the collections of the run do not walk them again either. At exit the
interpreter's last collections would walk everything once more; nothing
needs them, since the link store, the HTTP session and the failures file are closed by the
command itself and the standard streams are flushed by the interpreter whatever the
collector does (``tests/client/test_cli.py`` runs the installed command and reads all three).
Process-wide settings, so only here, never in the library for its host.
"""

import gc


def main():
    gc.disable()
    try:
        from .cli import main as command_line
    finally:
        gc.freeze()
        gc.enable()
    try:
        return command_line()
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
