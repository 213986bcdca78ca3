"""Refusals of loyalty actions: a stable code for programs, a message for people."""


class LoyaltyError(ValueError):
    """Bad input or a forbidden change; nothing was written."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(LoyaltyError):
    def __init__(self, what: str):
        super().__init__("not_found", f"{what} not found")
