"""The errors the rules package raises; the root, JingjinError, lives in config/errors.py."""

from config.errors import JingjinError

__all__ = ["InputError", "JingjinError", "RulesFileError"]


class RulesFileError(JingjinError):
    """A yearly rules file is missing, unreadable or breaks a rule.

    `key` is the dotted path inside the file (e.g. budget.office_operations.cap) so
    the ministry admin knows exactly which line to fix.
    """

    def __init__(self, key: str, problem: str, file: str = "rules") -> None:
        self.key = key
        self.problem = problem
        self.file = file
        super().__init__(f"{file}: {key}: {problem}")


class InputError(JingjinError):
    """A person or caller handed us a value we cannot use; `where` names the input."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")
