"""Typed errors of the TikTok Shop API client.

Every error names the route and the id it concerns and says what the user can do. None of
them ever carries the API key: messages are built from the route, the id and the server's
own error text, never from request headers.
"""

from __future__ import annotations


class TikTokAPIError(Exception):
    """A call to the TikTok Shop API failed."""

    retryable: bool = False
    hint: str = ""

    def __init__(
        self,
        message: str,
        *,
        route: str,
        id: str | None = None,
        status: int | None = None,
        server_message: str | None = None,
    ) -> None:
        self.route = route
        self.id = id
        self.status = status
        self.server_message = server_message
        self.message = message
        self.attempts = 1
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.route} (id={self.id})" if self.id is not None else self.route
        text = f"{where}: {self.message}"
        if self.attempts > 1:
            text += f" (gave up after {self.attempts} attempts)"
        if self.server_message:
            text += f" — server said: {self.server_message!r}"
        if self.hint:
            text += f". {self.hint}"
        return text

    def gave_up_after(self, attempts: int) -> None:
        """Record that the request was tried `attempts` times before this error."""
        self.attempts = attempts
        self.args = (self._render(),)


class InvalidId(TikTokAPIError, ValueError):
    """An id is not a string of digits of a sane length; refused before any request."""

    hint = "Ids are the vendor's numeric ids (digits only, at most 20); check the tracked ids"


class Unauthorized(TikTokAPIError):
    """401: the key is missing, wrong or rotated."""

    hint = "Check WH_API_KEY (the key may have been rotated) and reload the code location"


class Forbidden(TikTokAPIError):
    """403: the key's plan does not include this route."""

    hint = "Your API plan does not include this route; upgrade the plan or deselect the asset"


class NotFound(TikTokAPIError):
    """404 (or an equivalent error answer): the API does not know this id."""

    hint = "The id is unknown to the API; remove it from the tracked ids (tiktok-assets untrack)"


class BadRequest(TikTokAPIError):
    """400: the server refused the parameters."""

    hint = "This is a client bug or an API change; report it with the route and parameters"


class RateLimited(TikTokAPIError):
    """429 for the request rate: retried after a pause."""

    retryable = True
    hint = "Lower TIKTOK_API_RATE_PER_MINUTE or the run concurrency"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class CreditLimitReached(TikTokAPIError):
    """429 for the monthly credit limit: never retried until the month turns."""

    hint = (
        "Credits reset on the 1st of next month (UTC); raise the plan's limit or wait. "
        "Everything fetched so far is kept in the request journal and will not be paid again"
    )


class CreditBudgetExceeded(TikTokAPIError):
    """The project's own budget (limit minus reserve) would be exceeded: no request was sent."""

    hint = "Raise monthly_credit_limit or lower credit_reserve, or materialize fewer partitions"


class ServerError(TikTokAPIError):
    """5xx from the server, after the retries ran out."""

    retryable = True
    hint = "The API is failing; re-run later (what was fetched is kept and not paid again)"


class TransportError(TikTokAPIError):
    """A timeout or connection error, after the retries ran out."""

    retryable = True
    hint = "Check TIKTOK_API_ORIGIN and the network, or raise the timeout; then re-run"


class BadResponse(TikTokAPIError):
    """A 2xx answer that is not JSON, says `success: false`, or has the wrong shape."""

    hint = "The API answered something this client cannot read; re-run later or report it"
