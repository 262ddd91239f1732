"""A run's saved weights: `seed_<k>/model.pt` in its run folder.

After each seed the protocol saves the weights the task selected (the model as it evaluated test),
with the sizes the model was built for, as one `torch.save` of plain tensors and numbers:

    {"format": 1, "sizes": {"in_features": F, "out_features": C, "num_edge_types": 0, ...},
     "state_dict": {name: tensor on the CPU}}

so `torch.load(path, weights_only=True)` reads it without unpickling any code. `cogdl predict`
and `cogdl embed` (`cogdl.inference`) rebuild the model from the run's `config.resolved.yaml` and
these sizes, then load the weights.
"""

from __future__ import annotations

import dataclasses
import io
import warnings
from pathlib import Path

import torch

from cogdl.errors import DataError

FILE = "model.pt"
FORMAT = 1


def checkpoint_bytes(model: torch.nn.Module) -> bytes:
    """`model`'s weights (on the CPU) and its `sizes`, serialised for `seed_<k>/model.pt`."""
    sizes = getattr(model, "sizes", None)
    payload = {"format": FORMAT, "sizes": dataclasses.asdict(sizes) if dataclasses.is_dataclass(sizes) else {},
               "state_dict": {name: value.detach().cpu() for name, value in model.state_dict().items()}}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def load_checkpoint(path: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """`(sizes, state_dict)` of a saved `model.pt`, read with `weights_only=True`."""
    if not path.is_file():
        raise DataError(f"{path}: no saved weights (runs save them since CogDL 0.1's checkpoints; retrain to get them)")
    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol of foreign files; the error says it all
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(f"{path}: not a CogDL checkpoint: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "state_dict" not in payload:
        raise DataError(f"{path}: not a CogDL checkpoint of format {FORMAT}")
    return payload.get("sizes", {}), payload["state_dict"]
