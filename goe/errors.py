"""The one error hierarchy of goe.

Every error a user can cause is a :class:`GoeError` whose message says what
is wrong, where (file, line, sample) and how to fix it, in one line. The CLI
maps the classes to exit codes in one place (``goe.cli.app``).
"""

from __future__ import annotations


class GoeError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is the one line shown."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}; {self.hint}"
        return self.message


class InputError(GoeError):
    """A file given to goe is missing, unreadable or not what it should be."""


class SampleSheetError(InputError):
    """The sample sheet (or a --keep list) has a problem."""


class VcfError(InputError):
    """The cohort VCF/BCF or its index has a problem."""


class AssemblyError(InputError):
    """Contigs or coordinates do not fit the chosen assembly."""


class GuidelineError(InputError):
    """A guideline profile is unknown or malformed."""


class OutputError(GoeError):
    """The output location cannot be used."""


class UsageError(GoeError):
    """Options that do not fit together."""
