"""Finding, starting and talking to the ``sfl-market env-server --stdio`` child process.

The wire format is JSON, one value per line, with the tokens NaN, Infinity and -Infinity for the
non-finite numbers: what Python's json module reads and writes by default, and what the server
speaks (cli/envServer/wire.ts).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

PROTOCOL = 1
"""The protocol version this client speaks; the server refuses a client of another version."""

ServerSpec = Union[str, "os.PathLike[str]", Sequence[str]]


class SflMarketError(Exception):
    """Base class of the errors this package raises."""


class ServerNotFoundError(SflMarketError, FileNotFoundError):
    """No sfl-market command was found; the message lists every place that was tried."""


class ServerExitedError(SflMarketError, RuntimeError):
    """The server exited (at start-up: a bad scenario or option; later: a crash). Carries its stderr."""

    def __init__(self, message: str, returncode: int | None, stderr: str):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class RequestError(SflMarketError, ValueError):
    """The server refused a request (an unknown agent, an action of the wrong shape, ...).

    ``code`` is the server's error code (e.g. ``"UNKNOWN_AGENT"``, ``"BAD_ACTION"``) and ``path``
    the offending field (e.g. ``"actions.vit[3]"``) when there is one. The environment is unchanged.
    """

    def __init__(self, code: str, message: str, path: str | None = None):
        super().__init__(f"{message} ({code}{', at ' + path if path else ''})")
        self.code = code
        self.path = path


_SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs")


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ServerNotFoundError(
            "the sfl-market command is a Node.js script, but `node` is not on PATH (Node 20 or newer is needed)"
        )
    return node


def _command_for(path: Path) -> list[str]:
    """How to run the sfl-market command at ``path``: a .js file through node, anything else as it is."""
    if path.suffix in _SCRIPT_SUFFIXES:
        return [_node(), str(path)]
    if os.name == "nt" and path.suffix == "":
        cmd = path.with_suffix(".cmd")
        if cmd.is_file():
            return [str(cmd)]
    return [str(path)]


def _is_checkout(folder: Path) -> bool:
    try:
        return json.loads((folder / "package.json").read_text("utf-8")).get("name") == "sfl-market"
    except (OSError, ValueError, AttributeError):
        return False


def find_server(server: ServerSpec | None = None, cwd: str | os.PathLike[str] | None = None) -> list[str]:
    """The command line that runs ``sfl-market``, looked for in this order.

    1. ``server``: a path to the command (``bin/sfl-market.js`` or ``node_modules/.bin/sfl-market``),
       or a full command line as a list of strings (used as it is).
    2. The ``SFL_MARKET_BIN`` environment variable: a path, as for ``server``.
    3. The current folder: ``node_modules/.bin/sfl-market`` (sfl-market installed with npm), then
       ``bin/sfl-market.js`` of an sfl-market checkout.

    A ``server`` or ``SFL_MARKET_BIN`` that names nothing is an error (there is no silent fallback);
    when nothing is found the error lists every place tried.
    """
    if server is not None:
        if not isinstance(server, (str, os.PathLike)):
            argv = [str(x) for x in server]
            if not argv:
                raise ServerNotFoundError("server=[]: the command line is empty")
            return argv
        path = Path(server)
        if not path.is_file():
            raise ServerNotFoundError(f"server={str(server)!r}: no such file")
        return _command_for(path)
    tried: list[str] = []
    env = os.environ.get("SFL_MARKET_BIN")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ServerNotFoundError(f"SFL_MARKET_BIN={env!r}: no such file")
        return _command_for(path)
    tried.append("the SFL_MARKET_BIN environment variable (not set)")
    here = Path(cwd) if cwd is not None else Path.cwd()
    installed = here / "node_modules" / ".bin" / "sfl-market"
    if installed.is_file():
        return _command_for(installed)
    tried.append(str(installed))
    checkout = here / "bin" / "sfl-market.js"
    if checkout.is_file() and _is_checkout(here):
        return _command_for(checkout)
    tried.append(f"{checkout} (in an sfl-market checkout)")
    raise ServerNotFoundError(
        "cannot find the sfl-market command; tried: "
        + "; ".join(["the server= argument (not given)", *tried])
        + ". Pass server='path/to/sfl-market', set SFL_MARKET_BIN, or run from a folder where"
        " `npm install sfl-market` was run (or from an sfl-market checkout)"
    )


def _stop(proc: subprocess.Popen, stderr_file: Any) -> None:
    """Ends the server: close its stdin (it exits at end of input), then wait, then kill."""
    try:
        if proc.stdin and not proc.stdin.closed:
            proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    finally:
        if proc.stdout:
            proc.stdout.close()
        stderr_file.close()


class ServerProcess:
    """One running ``sfl-market env-server --stdio``: requests in, replies out, one line each."""

    def __init__(self, argv: list[str], args: list[str], cwd: str | None = None):
        self.argv = [*argv, "env-server", "--stdio", *args]
        # stderr goes to a file, not a pipe: nobody reads it while the server runs, and a full pipe
        # would block the server
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _stop, with the process)
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                cwd=cwd,
            )
        except OSError as err:
            self._stderr.close()
            raise ServerNotFoundError(f"cannot start {self.argv[0]!r}: {err}") from err
        self._finalizer = weakref.finalize(self, _stop, self._proc, self._stderr)

    @property
    def running(self) -> bool:
        return self._finalizer.alive and self._proc.poll() is None

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """Sends one request and returns the reply; raises RequestError when the server refuses it."""
        if not self._finalizer.alive:
            raise SflMarketError("the environment is closed")
        line = json.dumps({"op": op, **fields}, separators=(",", ":"), default=_jsonable)
        try:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.write(line.encode("utf-8") + b"\n")
            self._proc.stdin.flush()
            answer = self._proc.stdout.readline()
        except (BrokenPipeError, OSError):
            answer = b""
        if not answer:
            raise self._exited()
        reply = json.loads(answer)
        if not reply.get("ok"):
            e = reply.get("error") or {}
            raise RequestError(str(e.get("code", "ERROR")), str(e.get("message", reply)), e.get("path"))
        return reply

    def _exited(self) -> ServerExitedError:
        try:
            code = self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = self._proc.wait()
        self._stderr.seek(0)
        err = self._stderr.read().decode("utf-8", "replace").strip()
        self._finalizer()
        return ServerExitedError(
            f"the sfl-market server ({' '.join(self.argv)}) exited with code {code}"
            + (f":\n{err}" if err else " and printed nothing"),
            code,
            err,
        )

    def close(self) -> None:
        """Asks the server to close, then makes sure it has exited. Idempotent."""
        if not self._finalizer.alive:
            return
        if self._proc.poll() is None:
            try:
                self.request("close")
            except SflMarketError:
                pass
        self._finalizer()


def _jsonable(x: Any) -> Any:
    """numpy values in requests (json.dumps' default hook)."""
    tolist = getattr(x, "tolist", None)
    if callable(tolist):
        return tolist()
    raise TypeError(f"cannot send a {type(x).__name__} to the server: {x!r}")
