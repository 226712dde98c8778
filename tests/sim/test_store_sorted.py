"""Store.items stays the sorted listing of the store through any writes, and a list it handed out
never changes (the sorted lists are updated by copies, the changes applied when next read)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.sim.store import Store

NAMESPACES = ["", "a", "b"]
NAMES = ["x", "y", "z", "x-1", "y.2"]
OPS = st.lists(st.tuples(st.sampled_from(["put", "put", "remove", "read"]), st.sampled_from(NAMESPACES),
                         st.sampled_from(NAMES), st.sampled_from([None, *NAMESPACES])), max_size=60)


def reference(store: Store, namespace: str | None) -> list[Any]:
    objs = [o for by_name in store._data.get("events", {}).values() for o in by_name.values()]
    if namespace is not None:
        objs = [o for o in objs if (o["metadata"].get("namespace") or "") == namespace]
    return sorted(objs, key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_items_is_the_sorted_store_and_handed_out_lists_stay(ops: list[tuple[str, str, str, str | None]]) -> None:
    store = Store()
    store.record_history = False  # writes notify watchers under the cluster's lock; none here
    handed: list[tuple[list[Any], list[Any]]] = []  # (a list items returned, a copy of it then)
    for n, (op, ns, name, read_ns) in enumerate(ops):
        if op == "put":
            meta = {"name": name, **({"namespace": ns} if ns else {})}
            store.put("events", {"metadata": meta, "count": n})
        elif op == "remove":
            store.remove("events", ns, name)
        else:
            got = store.items("events", read_ns)
            assert [id(o) for o in got] == [id(o) for o in reference(store, read_ns)]
            handed.append((got, list(got)))
    for got, then in handed:
        assert [id(o) for o in got] == [id(o) for o in then]
