"""Errors the workbench reports to people rather than as tracebacks."""


class WorkbenchError(Exception):
    """A problem a user can fix; ``str()`` is the whole message."""


class ConfigError(WorkbenchError, ValueError):
    """A configuration value breaks a rule; the message names the field."""

    def __init__(self, field: str, rule: str, got=None, *, show_got: bool = True):
        self.field = field
        self.rule = rule
        message = f"{field} {rule}"
        if show_got:
            message += f", got {got!r}"
        super().__init__(message)


class DataError(WorkbenchError):
    """A dataset is missing, unreadable, or of the wrong shape."""


class RunFailed(WorkbenchError):
    """Training stopped on an error; whatever was trained so far is kept."""

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result
