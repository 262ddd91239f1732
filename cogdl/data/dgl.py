"""Conversions between CogDL's graphs and datasets and DGL graphs (dgl 1.1.3 imports beside torch
2.13; DGL is an optional extra, `pip install 'cogdl[dgl]'`, never required).

`from_dgl(to_dgl(g))` equals `g` field for field (edge order included) for a `Graph`, a
`HeteroGraph`, a `NodeSplitDataset` and a `HeteroNodeDataset`.

Conventions (DGL's built-in datasets'): edges `(src, dst)` with edge ids in CogDL's CSR order; node
data `feat`, `label`, `train_mask` / `val_mask` / `test_mask`; edge data `weight`. DGL orders node
and edge types by name, so a heterogeneous graph also carries what restores CogDL's order: node
data `global_id` (each node's CogDL id; types are ordered by their first id) and edge data
`relation_id` (the relation's CogDL id). A `HeteroNodeDataset`'s labels and masks are node data of
its labelled type.
"""

from __future__ import annotations

import torch

from cogdl.data.dataset import Dataset, HeteroNodeDataset, LabelledGraphDataset, NodeSplitDataset
from cogdl.data.foreign import hetero_node_dataset, labelled_type, node_dataset
from cogdl.data.graph import Graph
from cogdl.data.hetero_graph import HeteroGraph, Relation
from cogdl.errors import CogDLError, DataError


def import_dgl():
    """The `dgl` module, or a CogDLError saying how to get it."""
    try:
        import dgl
    except Exception as exc:  # dgl 2.x raises at import next to torch 2.13, not only ImportError
        raise CogDLError(f"DGL interop needs dgl (pip install 'dgl==1.1.3' packaging): cannot import it: {exc}") from None
    return dgl


def graph_to_dgl(graph: Graph):
    """A DGL graph with `graph`'s edges (CSR order), `weight`, `feat`, `label` and `<split>_mask`."""
    dgl = import_dgl()
    g = dgl.graph((graph.col, graph.row), num_nodes=graph.num_nodes)
    if graph.edge_weight is not None:
        g.edata["weight"] = graph.edge_weight
    for key, value in (("feat", graph.x), ("label", graph.y)):
        if value is not None:
            g.ndata[key] = value
    for split, mask in graph.masks.items():
        g.ndata[f"{split}_mask"] = mask
    return g


def graph_from_dgl(g) -> Graph:
    """A `Graph` from a homogeneous DGL graph (every edge kept, in DGL's edge-id order)."""
    if not g.is_homogeneous:
        raise DataError(f"DGL graph with node types {g.ntypes} and edge types {g.etypes}: use hetero_from_dgl")
    src, dst = g.edges(order="eid")
    data = g.ndata
    masks = {key[:-len("_mask")]: data[key] for key in data if key.endswith("_mask")}
    return Graph.from_coo(dst, src, g.num_nodes(), g.edata.get("weight"), coalesce=False,
                          x=data.get("feat"), y=data.get("label"), masks=masks)


def hetero_to_dgl(graph: HeteroGraph):
    """A DGL heterograph with `graph`'s node types, features (`feat`) and relations."""
    dgl = import_dgl()
    names = graph.node_type_names
    edges = {}
    for rel in graph.relations:
        key = (names[rel.src_type], rel.name, names[rel.dst_type])
        if key in edges:
            raise DataError(f"two relations are {key}; DGL keys edge types by (source type, name, destination type)")
        edges[key] = (rel.src - graph.offsets[rel.src_type], rel.dst - graph.offsets[rel.dst_type])
    g = dgl.heterograph(edges, num_nodes_dict=dict(zip(names, graph.counts)))
    for t, name in enumerate(names):
        ids = graph.type_range(t)
        g.nodes[name].data["global_id"] = torch.arange(ids.start, ids.stop)
        if graph.features[t] is not None:
            g.nodes[name].data["feat"] = graph.features[t]
    for rel in graph.relations:
        store = g.edges[(names[rel.src_type], rel.name, names[rel.dst_type])].data
        store["relation_id"] = torch.full((rel.num_edges,), rel.id, dtype=torch.long)
        if rel.weight is not None:
            store["weight"] = rel.weight
    return g


def hetero_from_dgl(g) -> HeteroGraph:
    """A `HeteroGraph` from a DGL heterograph: node types ordered by `global_id` where present (else
    DGL's order), relation ids from `relation_id` where present (else the edge type's position)."""
    def first_id(name):
        data = g.nodes[name].data
        return int(data["global_id"][0]) if "global_id" in data and g.num_nodes(name) else len(g.ntypes)

    names = sorted(g.ntypes, key=lambda n: (first_id(n), g.ntypes.index(n)))
    counts = [g.num_nodes(n) for n in names]
    offsets = torch.tensor([0] + counts).cumsum(0).tolist()
    relations = []
    for k, key in enumerate(g.canonical_etypes):
        src_type, dst_type = names.index(key[0]), names.index(key[2])
        src, dst = g.edges(order="eid", etype=key)
        data = g.edges[key].data
        rel_id = int(data["relation_id"][0]) if "relation_id" in data and src.numel() else k
        relations.append(Relation(rel_id, key[1], src_type, dst_type, src + offsets[src_type], dst + offsets[dst_type],
                                  data.get("weight")))
    relations.sort(key=lambda r: r.id)
    return HeteroGraph(names, counts, [g.nodes[n].data.get("feat") for n in names], relations)


def to_dgl(obj):
    """A DGL graph for a `Graph` or `NodeSplitDataset`; a heterograph for a `HeteroGraph` or `HeteroNodeDataset`."""
    if isinstance(obj, Graph):
        return graph_to_dgl(obj)
    if isinstance(obj, HeteroGraph):
        return hetero_to_dgl(obj)
    if isinstance(obj, (NodeSplitDataset, LabelledGraphDataset)):
        return graph_to_dgl(obj.graph)
    if isinstance(obj, HeteroNodeDataset):
        g = hetero_to_dgl(obj.graph)
        name, labels, masks = labelled_type(obj)
        data = g.nodes[name].data
        data["label"] = labels
        for split, mask in masks.items():
            data[f"{split}_mask"] = mask
        return g
    raise TypeError(f"to_dgl: cannot convert a {type(obj).__name__} (a Graph, HeteroGraph, NodeSplitDataset or "
                    "HeteroNodeDataset)")


def from_dgl(g):
    """The inverse of `to_dgl` for graphs: a `Graph` or a `HeteroGraph`."""
    return graph_from_dgl(g) if g.is_homogeneous else hetero_from_dgl(g)


def dataset_from_dgl(g, name: str = "dgl-graph") -> Dataset:
    """The CogDL dataset shape of a DGL graph: a homogeneous graph with `label` and split masks ->
    `NodeSplitDataset`; a heterograph with one node type carrying `label`, `train_mask` and
    `test_mask` -> `HeteroNodeDataset`."""
    where = f"DGL graph {name!r}"
    if g.is_homogeneous:
        return node_dataset(graph_from_dgl(g), name, where)
    graph = hetero_from_dgl(g)
    labelled = [t for t, n in enumerate(graph.node_type_names) if "label" in g.nodes[n].data]
    if len(labelled) != 1:
        raise DataError(f"{where}: node data `label` on {len(labelled)} node types; one type is labelled")
    data = g.nodes[graph.node_type_names[labelled[0]]].data
    return hetero_node_dataset(graph, name, where, labelled[0], data.get("label"), data.get("train_mask"),
                               data.get("test_mask"))
