"""The error type for what a user can fix: a tool prints it as one ``error:`` line."""


class ToolError(Exception):
    """A user error reported as one line (``error: ...``) with exit status 2."""
