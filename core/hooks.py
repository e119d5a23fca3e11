"""Hooks: how an app lets the apps above it react, without importing them.

An app declares a `Hook` in its own module; the apps that react register a function's dotted
path from their AppConfig.ready, which is resolved when the hook is first called (by then
every app is loaded, so registering imports nothing early). Calls run the functions in
registration order, which is INSTALLED_APPS order.
"""

from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.utils.module_loading import import_string


class Hook:
    def __init__(self, name: str, *, required: bool = False):
        self.name = name
        self.required = required  # calling it with nothing registered is a bug, not a no-op
        self.paths: list[str] = []

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {self.paths})"

    def register(self, path: str) -> None:
        """Add a function, by dotted path; registering one twice keeps one."""
        if path not in self.paths:
            self.paths.append(path)
            self.__dict__.pop("functions", None)

    @cached_property
    def functions(self) -> list[Callable[..., Any]]:
        return [import_string(path) for path in self.paths]

    def __call__(self, **kwargs: Any) -> list[Any]:
        """Call every registered function with these keyword arguments; their results."""
        if self.required and not self.paths:
            raise RuntimeError(f"Nothing is registered for the {self.name} hook.")
        return [function(**kwargs) for function in self.functions]
