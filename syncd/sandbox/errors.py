"""The sandbox's one error type and the §8.6 error body it renders to.

Every refusal in the fake (validation, ownership, state rules) raises ``ApiError``; the HTTP layer
turns it into ``{statusCode, message, error}``. This module must not know about sockets or state.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class ApiError(Exception):
    """A refusal the fake Managem answers with ``status`` and the §8.6 body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message)


def error_body(status: int, message: str) -> dict[str, Any]:
    """The assumed error envelope (§8.6): clients must still branch on the status alone."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"statusCode": status, "message": message, "error": phrase}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def conflict(message: str) -> ApiError:
    return ApiError(409, message)
