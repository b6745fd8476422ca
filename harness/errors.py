"""One error tree for the whole harness; the CLI maps each branch to an exit code.

    HarnessError                      base; never raised directly
    ├── BadInput            exit 2    the user's input is wrong: usage, file, field
    │   └── ConfigError               a file the user wrote is wrong (names file, field, fix)
    ├── CouldNotRun         exit 3    a part we depend on is missing or broke (binary, port, tool)
    │   ├── PortInUse                 a loopback port we need is taken
    │   └── StackNotRunning           a command needs `harness up` first
    ├── CouldNotJudge       exit 3    the run happened but the evidence is missing (no data)
    └── Interrupted         exit 130  Ctrl-C or SIGTERM

Foreign exceptions are wrapped at the boundary where they enter (`raise X(...) from exc`), so a
traceback never reaches the user while the cause stays chained (`__cause__`) for tests and for
code that calls the harness as a library.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of every command (README.md, "Exit codes")."""

    PASSED = 0
    FAILED = 1
    BAD_INPUT = 2
    COULD_NOT_JUDGE = 3
    INTERRUPTED = 130


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""

    exit_code: ExitCode = ExitCode.COULD_NOT_JUDGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInput(HarnessError):
    """Raised when the user's command line or input cannot be used as given."""

    exit_code = ExitCode.BAD_INPUT


class ConfigError(BadInput):
    """Raised when a file the user wrote is invalid; the message names file, field and fix."""

    def __init__(self, file: str, field: str, problem: str, fix: str = "") -> None:
        self.file = file
        self.field = field
        self.problem = problem
        self.fix = fix
        where = f"{file}: {field}" if field else file
        message = f"{where}: {problem}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


class CouldNotRun(HarnessError):
    """Raised when something we depend on is missing or failed, so nothing can be judged."""

    exit_code = ExitCode.COULD_NOT_JUDGE


class PortInUse(CouldNotRun):
    """Raised when a loopback port we need is already taken."""

    def __init__(self, port: int, setting: str) -> None:
        self.port = port
        self.setting = setting
        super().__init__(f"port 127.0.0.1:{port} is already in use (change it with {setting})")


class StackNotRunning(CouldNotRun):
    """Raised when a command needs the local stack and `harness up` has not started it."""

    def __init__(self, state_dir: str) -> None:
        super().__init__(f"no running stack in {state_dir} (start one with `harness up`)")


class CouldNotJudge(HarnessError):
    """Raised when the run happened but the evidence (metrics, samples) is missing or stale."""

    exit_code = ExitCode.COULD_NOT_JUDGE


class Interrupted(HarnessError):
    """Raised when the user or the CI system stopped the run (SIGINT, SIGTERM)."""

    exit_code = ExitCode.INTERRUPTED
