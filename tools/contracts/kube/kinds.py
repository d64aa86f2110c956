"""One resource type as API discovery describes it: what the client finds on a cluster and what the
snapshot API server serves, so both agree on paths, names and verbs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

READ_VERBS: tuple[str, ...] = ("get", "list", "watch")


@dataclass(frozen=True)
class KindInfo:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = READ_VERBS
    subresources: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def listable(self) -> bool:
        return "list" in self.verbs

    def describe(self) -> str:
        """`plural.group` as kubectl names a resource (`pods`, `deployments.apps`)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        """The API path of the collection, one object, or one subresource."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace and self.namespaced:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name:
            base += f"/{quote(name, safe='')}"
        if sub:
            base += f"/{sub}"
        return base
