"""Conversions between CogDL's graphs and datasets and PyTorch Geometric's `Data` / `HeteroData`.

`to_pyg` and `from_pyg` are inverse: `from_pyg(to_pyg(g))` equals `g` field for field (edge order
included), for a `Graph`, a `HeteroGraph`, a `NodeSplitDataset` and a `HeteroNodeDataset`.

Conventions (PyG's): `edge_index[0]` holds sources and `edge_index[1]` destinations; CogDL's CSR
rows are destinations, so `edge_index = [col, row]` in CSR order, which `from_pyg` sorts back into
the same CSR (repeated edges are kept). Split masks are `<split>_mask` attributes; edge weights
`edge_weight`. A heterogeneous graph's node types keep their order as `HeteroData.node_types`, each
with `num_nodes` and, where it has them, features `x`; a relation becomes the edge type
`(src type, relation name, dst type)` with local ids, `edge_weight` where it has weights and its
CogDL id as `relation_id`. A `HeteroNodeDataset`'s labels `y` and `train_mask` / `test_mask` go to
its labelled node type, marked by `target_type = True`.

`dataset_from_pyg` turns what a PyG user holds (a `Data`, a `HeteroData`, or a PyG dataset of one
graph or of many labelled graphs) into the dataset shape CogDL's tasks take, so it can be passed to
`cogdl.experiment(dataset=...)`.
"""

from __future__ import annotations

from typing import Any

import torch

from cogdl.data.dataset import (
    Dataset, DatasetInfo, GraphCollectionDataset, HeteroNodeDataset, LabelledGraphDataset, NodeSplitDataset,
)
from cogdl.data.foreign import classes_in, hetero_node_dataset, labelled_type, node_dataset
from cogdl.data.graph import Graph
from cogdl.data.graph_collection import GraphCollection
from cogdl.data.hetero_graph import HeteroGraph, Relation
from cogdl.errors import DataError

# -- homogeneous --------------------------------------------------------------------------------
def edge_index(graph: Graph) -> torch.Tensor:
    """`[2, E]` PyG's `edge_index` of `graph` (sources, then destinations; CSR order), cached on the graph."""
    return graph.cached("edge_index", lambda: torch.stack([graph.col, graph.row]))


def graph_to_pyg(graph: Graph):
    """A PyG `Data` holding `graph`'s edges (in CSR order), weights, features, labels and masks."""
    from torch_geometric.data import Data

    data = Data(edge_index=edge_index(graph), num_nodes=graph.num_nodes)
    for name, value in (("x", graph.x), ("y", graph.y), ("edge_weight", graph.edge_weight)):
        if value is not None:
            data[name] = value
    for split, mask in graph.masks.items():
        data[f"{split}_mask"] = mask
    return data


def graph_from_pyg(data) -> Graph:
    """A `Graph` from a PyG `Data`: every edge kept (repeats too), `*_mask` attributes as split masks."""
    edge_index = _edge_index(data)
    num_nodes = _num_nodes(data)
    masks = {key[:-len("_mask")]: data[key] for key in data.keys() if key.endswith("_mask")}
    for split, mask in masks.items():
        if mask.dtype != torch.bool or mask.shape != (num_nodes,):
            raise DataError(f"PyG data: {split}_mask must be a [{num_nodes}] bool tensor, not {mask.dtype} "
                            f"{list(mask.shape)} (several splits in one mask: pick one column first)")
    return Graph.from_coo(edge_index[1], edge_index[0], num_nodes, data.get("edge_weight"), coalesce=False,
                          x=data.get("x"), y=data.get("y"), masks=masks)


# -- heterogeneous ------------------------------------------------------------------------------
def hetero_to_pyg(graph: HeteroGraph):
    """A PyG `HeteroData` with `graph`'s node types (in order), features and relations."""
    from torch_geometric.data import HeteroData

    data = HeteroData()
    for t, name in enumerate(graph.node_type_names):
        data[name].num_nodes = graph.counts[t]
        if graph.features[t] is not None:
            data[name].x = graph.features[t]
    for rel in graph.relations:
        key = (graph.node_type_names[rel.src_type], rel.name, graph.node_type_names[rel.dst_type])
        if key in data.edge_types:
            raise DataError(f"relations {data[key].relation_id} and {rel.id} are both {key}; PyG keys edge types "
                            "by (source type, name, destination type)")
        store = data[key]
        store.edge_index = torch.stack([rel.src - graph.offsets[rel.src_type], rel.dst - graph.offsets[rel.dst_type]])
        store.relation_id = rel.id
        if rel.weight is not None:
            store.edge_weight = rel.weight
    return data


def hetero_from_pyg(data) -> HeteroGraph:
    """A `HeteroGraph` from a PyG `HeteroData`: node types in its order, global ids by type; a
    relation's id is its `relation_id` when given, else its position among the edge types."""
    names = list(data.node_types)
    counts = [int(data[name].num_nodes) for name in names]
    offsets = torch.tensor([0] + counts).cumsum(0).tolist()
    features = [data[name].get("x") for name in names]
    relations = []
    for k, (src_name, rel_name, dst_name) in enumerate(data.edge_types):
        store = data[src_name, rel_name, dst_name]
        src_type, dst_type = names.index(src_name), names.index(dst_name)
        local = store.edge_index
        relations.append(Relation(int(store.get("relation_id", k)), rel_name, src_type, dst_type,
                                  local[0] + offsets[src_type], local[1] + offsets[dst_type], store.get("edge_weight")))
    return HeteroGraph(names, counts, features, relations)


# -- datasets -----------------------------------------------------------------------------------
def to_pyg(obj):
    """`Data` for a `Graph` or `NodeSplitDataset`; `HeteroData` for a `HeteroGraph` or `HeteroNodeDataset`."""
    if isinstance(obj, Graph):
        return graph_to_pyg(obj)
    if isinstance(obj, HeteroGraph):
        return hetero_to_pyg(obj)
    if isinstance(obj, (NodeSplitDataset, LabelledGraphDataset)):
        return graph_to_pyg(obj.graph)
    if isinstance(obj, HeteroNodeDataset):
        data = hetero_to_pyg(obj.graph)
        name, labels, masks = labelled_type(obj)
        target = data[name]
        target.y, target.target_type = labels, True
        for split, mask in masks.items():
            target[f"{split}_mask"] = mask
        return data
    raise TypeError(f"to_pyg: cannot convert a {type(obj).__name__} (a Graph, HeteroGraph, NodeSplitDataset or "
                    "HeteroNodeDataset)")


def from_pyg(data):
    """The inverse of `to_pyg` for graphs: a `Graph` from a `Data`, a `HeteroGraph` from a `HeteroData`."""
    from torch_geometric.data import HeteroData

    return hetero_from_pyg(data) if isinstance(data, HeteroData) else graph_from_pyg(data)


def dataset_from_pyg(obj, name: str | None = None) -> Dataset:
    """The CogDL dataset shape of a PyG `Data`, `HeteroData` or PyG dataset, named `name` (default:
    the PyG dataset's name, else `pyg-data`).

    - a `Data` (or a dataset of one) with `train/val/test_mask` -> `NodeSplitDataset`;
    - a `Data` with `[N, C]` float labels and no masks -> `LabelledGraphDataset`;
    - a `HeteroData` whose labelled node type has `y`, `train_mask` and `test_mask` -> `HeteroNodeDataset`;
    - a dataset of several graphs with one label each -> `GraphCollectionDataset`.
    The number of classes is the PyG dataset's `num_classes` where it has one, else `1 + max(y)`.
    """
    from torch_geometric.data import Dataset as PygDataset
    from torch_geometric.data import HeteroData

    name = name or _name_of(obj)
    if isinstance(obj, PygDataset):
        if len(obj) != 1:
            return _collection_from_pyg(obj, name)
        return _single_from_pyg(obj[0], name, getattr(obj, "num_classes", None))
    if isinstance(obj, HeteroData):
        return _hetero_dataset_from_pyg(obj, name)
    return _single_from_pyg(obj, name, None)


def _single_from_pyg(data, name: str, num_classes: int | None) -> Dataset:
    return node_dataset(graph_from_pyg(data), name, f"PyG data {name!r}", num_classes)


def _hetero_dataset_from_pyg(data, name: str) -> HeteroNodeDataset:
    graph = hetero_from_pyg(data)
    labelled = [t for t, n in enumerate(graph.node_type_names) if data[n].get("target_type") or "y" in data[n]]
    where = f"PyG HeteroData {name!r}"
    if len(labelled) != 1:
        raise DataError(f"{where}: labels `y` on {len(labelled)} node types; one is labelled "
                        "(mark it with target_type = True)")
    store = data[graph.node_type_names[labelled[0]]]
    return hetero_node_dataset(graph, name, where, labelled[0], store.get("y"), store.get("train_mask"),
                               store.get("test_mask"))


def _collection_from_pyg(dataset, name: str) -> GraphCollectionDataset:
    graphs = [dataset[k] for k in range(len(dataset))]
    if any(g.get("y") is None or g.y.numel() != 1 for g in graphs):
        raise DataError(f"PyG dataset {name!r}: a dataset of several graphs needs one label `y` per graph")
    if any(g.get("x") is None for g in graphs):
        raise DataError(f"PyG dataset {name!r}: graphs without node features `x` (add them, e.g. with "
                        "torch_geometric.transforms.OneHotDegree)")
    node_counts = torch.tensor([_num_nodes(g) for g in graphs])
    edge_counts = torch.tensor([g.edge_index.shape[1] for g in graphs])
    offsets = torch.cumsum(node_counts, 0) - node_counts
    shift = torch.repeat_interleave(offsets, edge_counts)
    edges = torch.cat([g.edge_index for g in graphs], 1) + shift
    zero = torch.zeros(1, dtype=torch.long)
    y = torch.cat([g.y.view(1) for g in graphs]).long()
    collection = GraphCollection(edges[0], edges[1], torch.cat([zero, node_counts.cumsum(0)]),
                                 torch.cat([zero, edge_counts.cumsum(0)]), torch.cat([g.x for g in graphs]).float(), y)
    classes = getattr(dataset, "num_classes", None) or classes_in(y)
    return GraphCollectionDataset(info=DatasetInfo(name, collection.x.shape[1], int(classes)), graphs=collection)


def _edge_index(data) -> torch.Tensor:
    if data.get("edge_index") is None:
        raise DataError("PyG data: no edge_index (a SparseTensor adj_t is not read; convert with "
                        "torch_geometric.transforms.ToUndirected or keep edge_index)")
    return data.edge_index.long()


def _num_nodes(data) -> int:
    if data.num_nodes is None:
        raise DataError("PyG data: the number of nodes is unknown (set num_nodes or x)")
    return int(data.num_nodes)


def _name_of(obj: Any) -> str:
    raw = getattr(obj, "name", None) or type(obj).__name__
    text = "".join(c if c.isalnum() or c in "-_" else "-" for c in str(raw).lower())
    return f"pyg-{text}" if text not in ("data", "heterodata") else "pyg-data"
