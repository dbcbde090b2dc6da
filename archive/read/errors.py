"""What the read API raises: a `SearchError` subclass whose message is meant for the user
(one line, quoting at most a short excerpt of what the user typed)."""

from __future__ import annotations


class SearchError(Exception):
    """A search or lookup the archive cannot answer; the message is meant for the user."""


class QuerySyntaxError(SearchError):
    pass


class EmptyQueryError(QuerySyntaxError):
    pass


class QueryTooLongError(QuerySyntaxError):
    pass


class BadFilterError(SearchError):
    pass


class ArticleNotFoundError(SearchError):
    pass


class VersionNotFoundError(SearchError):
    pass
