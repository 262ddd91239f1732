"""The `cogdl` command: train | predict | embed | search | reproduce | list | info | data | env | bench |
leaderboard | docs | new.

Every user error (unknown name, bad config, corrupted data) and every error of the file system
(no space, read-only, permission, a path under a file, a file-size limit) is one line on stderr
naming the path and exit status 2; any other exception is a bug: one line, its traceback saved to
a file, exit status 1 (`--debug` or `COGDL_DEBUG=1` raises instead). The last line `cogdl train`
prints on success is the path of its run folder.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shlex
import sys
import time
import warnings

from cogdl.errors import CogDLError, ConfigError, first_line, os_error_line, save_traceback

KINDS = ("models", "datasets", "tasks", "protocols")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, instead of usage + message
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cogdl", description="Graph-learning research toolkit and benchmark suite.")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback behind an error (e.g. one raised inside a plugin model's code)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="threads this command computes with, shared among its --jobs processes (default: "
                             "$COGDL_THREADS, else the cores it may use); see cogdl.threads")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = sub.add_parser("train", help="train a model on a dataset for a task over seeds")
    train.add_argument("--task", help="a registered task (cogdl list); required unless --from")
    train.add_argument("--model", help="a registered model; required unless --from")
    train.add_argument("--dataset", help="a registered dataset; required unless --from")
    train.add_argument("--from", dest="from_run", metavar="RUN_DIR",
                       help="repeat the run of this run folder: its task, model, dataset, seeds, protocol, grid and "
                            "every setting (--seeds, --config and --set still apply on top)")
    seeds = train.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, nargs="+", help="seeds, e.g. --seed 0 1 2")
    seeds.add_argument("--seeds", help="a range or list, e.g. --seeds 0-9 or --seeds 0,3")
    train.add_argument("--best-config", action="store_true",
                       help="start from the config of the leaderboard entry for this task, model and dataset")
    train.add_argument("--config", help="YAML file of hyper-parameters (over --best-config)")
    train.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                       help="hyper-parameters over everything else, e.g. --set lr=0.005 epochs=100")
    train.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
    train.add_argument("--out", default="runs", help="root of the run folders (default ./runs)")
    train.add_argument("--data-root", help="data root (default $COGDL_DATA, else ~/.cache/cogdl/datasets)")
    train.add_argument("--export-predictions", metavar="DIR",
                       help="write the task's prediction files here, one per seed (HGB: its submission format)")
    train.add_argument("--save-embeddings", metavar="FILE.npy",
                       help="unsupervised_node_classification: write the embeddings ({seed} in the name: one file per seed)")
    train.add_argument("--load-embeddings", metavar="FILE.npy",
                       help="unsupervised_node_classification: evaluate these embeddings instead of training")
    train.add_argument("--protocol", default=None,
                       help="how runs are organised (cogdl list protocols): seeds (default, one run per seed) or igb "
                            "(select on mean validation over an igb-* dataset's graphs, refit on train + validation)")
    train.add_argument("--grid", metavar="GRID.yaml",
                       help="hyper-parameter -> list of values, for protocols that select a setting (igb)")
    train.add_argument("--jobs", type=int, default=1, help="processes for independent runs (seeds or graphs)")
    train.add_argument("--runs-dir", metavar="DIR",
                       help="errica, igb: keep each finished selection and retraining run in DIR and read back those "
                            "kept there, so a stopped run continues where it stopped")
    train.add_argument("--logger", nargs="+", action="extend", default=[], metavar="NAME",
                       help="log each seed's epochs (train loss, validation) and config as they happen: tensorboard, "
                            "mlflow and/or csv, under OUT/logs (mlflow: OUT/mlruns or $MLFLOW_TRACKING_URI)")
    train.add_argument("--nproc", type=int, default=1,
                       help="train each run over N processes with data parallelism: launches the same command under "
                            "torchrun --nproc-per-node N on this machine (gloo on CPU, NCCL on CUDA)")
    add_executor_flags(train)

    for name, help_text in (("predict", "apply a run's saved weights to a dataset: each node's predicted class and "
                                        "the metrics on the dataset's splits"),
                            ("embed", "apply a run's saved weights to a dataset: each node's embedding")):
        applying = sub.add_parser(name, help=help_text)
        applying.add_argument("run_dir", metavar="RUN_DIR", help="a run folder of cogdl train")
        applying.add_argument("--dataset", help="the dataset to apply it to (default: the run's own)")
        applying.add_argument("--seed", type=int, help="whose weights (default: the run's first seed)")
        applying.add_argument("--out", required=name == "embed",
                              metavar="FILE.csv" if name == "predict" else "FILE.npy",
                              help="write node,prediction rows here" if name == "predict" else
                              "write the [N, D] embeddings here (numpy .npy)")
        applying.add_argument("--data-root", help="data root (default $COGDL_DATA, else ~/.cache/cogdl/datasets)")
        applying.add_argument("--device", default="cpu", help="cpu or cuda[:N] (default cpu)")

    listing = sub.add_parser("list", help="list registered models, datasets, tasks and protocols")
    listing.add_argument("kind", nargs="?", choices=KINDS)
    listing.add_argument("--json", action="store_true", help="print JSON")

    info = sub.add_parser("info", help="show a model's or task's hyper-parameters, a dataset's card or a protocol")
    info.add_argument("kind", choices=("model", "task", "dataset", "protocol"))
    info.add_argument("name")

    data = sub.add_parser("data", help="dataset files: verify checksums, show paths, build IGB and synthetic datasets")
    data_sub = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    verify = data_sub.add_parser("verify", help="check (and download if missing) the files of datasets")
    verify.add_argument("ids", nargs="*", help="dataset ids (default: every card)")
    verify.add_argument("--data-root")
    path = data_sub.add_parser("path", help="print the folder of a dataset in the data root")
    path.add_argument("id")
    path.add_argument("--data-root")
    build = data_sub.add_parser("build", help="write a generated dataset into the data root: IGB's 100 i.i.d. "
                                              "graphs, or a synthetic graph with planted classes")
    build.add_argument("id", help="igb-cora, igb-citeseer, igb-pubmed, igb-facebook, ...; synthetic-100k, "
                                  "synthetic-200k, synthetic-1m, synthetic-2m, synthetic-5m")
    build.add_argument("--seed", type=int, default=0, help="the generator's seed (default 0)")
    build.add_argument("--graphs", type=int, default=100, help="IGB: graphs to sample (default 100)")
    build.add_argument("--walk-length", type=int, help="IGB: distinct edges per walk (default: the dataset's, see cogdl.datasets.igb)")
    build.add_argument("--sampler", default="rw", choices=("rw", "mhrw"), help="IGB: random walk or Metropolis-Hastings walk")
    build.add_argument("--data-root")

    sub.add_parser("env", help="print versions and devices")

    bench = sub.add_parser("bench", help="time kernels and training epochs against torch.sparse, PyG and DGL")
    bench.add_argument("what", choices=("ops", "train", "graphmae", "features", "embedding", "sampling", "capacity",
                                        "load"),
                       help="ops: kernels; train: GCN/GAT epochs against PyG and DGL, and epochs with compressed "
                            "activations (GCN, GraphSAGE, GAT, 3 x 256, 32/8/4/2 bits); capacity: the widest (or deepest) of those "
                            "three that trains within --budget-mb, activations as they are and in 2 bits; load: GCN/GAT fits beside 0, 1 and 2 busy processes; graphmae: GraphMAE steps against eq. 3 as "
                            "written; features: a first layer on sparse bag-of-words features; "
                            "embedding: node2vec walks, ProNE and DeepWalk on BlogCatalog; sampling: neighbour "
                            "sampling for mini-batches against DGL")
    bench.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    bench.add_argument("--rounds", type=int, default=10, help="interleaved timing rounds (median reported)")
    bench.add_argument("--busy", type=int, nargs="+", default=[0, 1, 2],
                       help="load: the numbers of busy processes to time beside, the first the baseline (default 0 1 2)")
    bench.add_argument("--small", action="store_true", help="ops: only the Cora-sized graph")
    bench.add_argument("--width", type=int, nargs="+", default=None, help="ops: SpMM feature widths (default 64; 64 256 on a GPU)")
    bench.add_argument("--no-memory", action="store_true", help="skip the per-case peak-memory processes")
    bench.add_argument("--budget-mb", type=float, default=1024,
                       help="capacity: the memory that model, optimiser and activations may add (default 1024)")
    bench.add_argument("--grow", choices=("width", "depth"), default="width",
                       help="capacity: search the largest width (layers fixed) or the most layers (width fixed)")
    bench.add_argument("--num-layers", type=int, default=3, help="capacity, --grow width: layers of each model (default 3)")
    bench.add_argument("--hidden", type=int, default=256, help="capacity, --grow depth: width of each layer (default 256)")
    bench.add_argument("--models", nargs="+", default=None,
                       help="capacity: the models (default gcn graphsage gat); load: (default gcn gat)")
    bench.add_argument("--datasets", nargs="+", default=["cora", "pubmed"], help="load: the datasets")
    bench.add_argument("--epochs", type=int, default=50, help="load: epochs of each timed fit (default 50)")
    bench.add_argument("--data-root")
    bench.add_argument("--json", help="also write the results to this JSON file")
    bench.add_argument("--markdown", help="also write the table into this Markdown file (its bench:<what> block)")

    search = sub.add_parser("search", help="hyper-parameter search on Optuna (validation only; resumable)")
    search.add_argument("--task", required=True)
    search.add_argument("--model", required=True)
    search.add_argument("--dataset", required=True)
    search.add_argument("--space", required=True, help="YAML search space (see cogdl.search)")
    search.add_argument("--n-trials", type=int, required=True, help="finished trials the study should hold")
    search.add_argument("--seeds-per-trial", type=int, default=1, help="seeds 0..K-1 averaged per trial (default 1)")
    search.add_argument("--storage", help="Optuna storage URL, e.g. sqlite:///study.db (resumable)")
    search.add_argument("--study-name", help="study name in the storage (required with --storage)")
    search.add_argument("--timeout", type=float, help="stop starting trials after this many seconds")
    search.add_argument("--sampler-seed", type=int, default=0, help="seed of the TPE sampler (default 0)")
    search.add_argument("--best-config", action="store_true", help="search around the leaderboard entry's config")
    search.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                        help="fixed hyper-parameters of every trial, e.g. --set epochs=100")
    search.add_argument("--eval-seeds", default="100-109",
                        help="seeds the best config is evaluated on, disjoint from the search seeds (default 100-109)")
    search.add_argument("--out", default="search", help="root of the search folders (default ./search)")
    search.add_argument("--data-root")

    repro = sub.add_parser("reproduce", help="run a benchmark's leaderboard entries again and compare them with "
                                             "their references")
    repro.add_argument("benchmark", help="a folder of the leaderboard: planetoid, hgb, tu, ...")
    repro.add_argument("--task")
    repro.add_argument("--model")
    repro.add_argument("--dataset")
    repro.add_argument("--tier", default="full", choices=("smoke", "full"),
                       help="full: each entry's config and seeds; smoke: seed 0, few epochs, wide bands (default full)")
    repro.add_argument("--check", action="store_true", help="exit 1 if any entry fails")
    repro.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                       help="override a setting in every entry's config (e.g. precision=bf16)")
    repro.add_argument("--jobs", type=int, default=1, help="parallel processes for the runs (default 1)")
    add_executor_flags(repro)
    repro.add_argument("--out", default="reproduce", help="root of the report folders (default ./reproduce)")
    repro.add_argument("--resume", action="store_true",
                       help="reuse the runs an earlier invocation saved in OUT/BENCHMARK-TIER-runs/ (same task, "
                            "model, dataset, config and seed) instead of running them again")
    repro.add_argument("--leaderboard", metavar="DIR", help="leaderboard root (default: the one shipped with cogdl)")
    repro.add_argument("--data-root")

    new = sub.add_parser("new", help="scaffold a plugin package")
    new.add_argument("kind", choices=("model",))
    new.add_argument("name", help="the model's registered name, e.g. my_gnn")
    new.add_argument("--out", default=".", help="the folder to write cogdl-<name>/ into (default .)")

    docs = sub.add_parser("docs", help="write the generated documentation pages (tasks, models, datasets)")
    docs.add_argument("--out", default="docs", help="the docs folder (default ./docs)")

    board = sub.add_parser("leaderboard", help="leaderboard files")
    board_sub = board.add_subparsers(dest="board_command", required=True, parser_class=_Parser)
    rec = board_sub.add_parser("record", help="copy a run folder's config and measured result into a leaderboard file "
                                              "(several folders of one config with distinct seeds are pooled)")
    rec.add_argument("run_dirs", nargs="+", metavar="run_dir")
    rec.add_argument("file")
    rec.add_argument("--pool", action="store_true",
                     help="add the runs' seeds to those the entry already records (same config, distinct seeds)")
    rec.add_argument("--variant", help="a second entry of the same dataset and model, named by this short text "
                                       "(e.g. '2-bit activations')")
    ren = board_sub.add_parser("render", help="write leaderboard/README.md and its charts from the leaderboard files")
    ren.add_argument("--root", help="leaderboard root (default: the checkout's leaderboard/)")
    ren.add_argument("--no-charts", action="store_true", help="only the README tables")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    warnings.formatwarning = one_line_warnings(warnings.formatwarning)
    args = build_parser().parse_args(argv)
    args.command_line = " ".join(["cogdl", *(shlex.quote(a) for a in argv)])
    args.argv = list(argv)
    debug = args.debug or os.environ.get("COGDL_DEBUG", "") not in ("", "0")
    try:
        use_threads(args.threads)
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("cogdl: interrupted", file=sys.stderr)
        return 130
    except (CogDLError, OSError) as exc:  # the input's fault, or the file system's (full, read-only, ...)
        if debug:
            raise
        print(f"cogdl: error: {exc if isinstance(exc, CogDLError) else os_error_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line, the traceback in a file
        if debug:
            raise
        print(f"cogdl: internal error: {type(exc).__name__}: {first_line(exc)}; traceback saved to "
              f"{save_traceback(exc)} (--debug or COGDL_DEBUG=1 shows it)", file=sys.stderr)
        return 1


def one_line_warnings(default):
    """A `warnings.formatwarning` that prints CogDL's own warnings (messages starting with `cogdl`:
    a plugin skipped, a kernel unavailable) as one line, `cogdl: warning: ...`, and others as `default`."""
    if getattr(default, "cogdl_one_line", False):
        return default

    def format_warning(message, category, filename, lineno, line=None):
        text = str(message)
        if not text.startswith("cogdl"):
            return default(message, category, filename, lineno, line)
        return f"cogdl: warning: {text.removeprefix('cogdl: ').splitlines()[0]}\n"

    format_warning.cogdl_one_line = True
    return format_warning


def use_threads(requested: int | None) -> None:
    """`--threads` into the environment (worker processes inherit it), then this process's share."""
    from cogdl.threads import ENV, threads_for

    if requested is not None:
        if requested < 1:
            raise ConfigError(f"--threads {requested}: expected a number >= 1")
        os.environ[ENV] = str(requested)
    import torch

    torch.set_num_threads(threads_for(1))


def add_executor_flags(parser) -> None:
    parser.add_argument("--executor", default="local", choices=("local", "ray"),
                        help="where independent runs go: local processes (--jobs) or tasks on a Ray cluster")
    parser.add_argument("--address", metavar="HOST:PORT",
                        help="--executor ray: the cluster's address (default: RAY_ADDRESS, else a local Ray instance)")


def without_option(argv: list[str], option: str) -> list[str]:
    """`argv` without `option VALUE` / `option=VALUE`."""
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == option:
            skip = True
        elif not item.startswith(option + "="):
            out.append(item)
    return out


def cmd_train(args) -> int:
    from cogdl.config import load_grid, parse_set
    from cogdl.errors import ConfigError
    from cogdl.experiment import experiment, parse_seeds

    if args.nproc < 1:
        raise ConfigError(f"--nproc {args.nproc}: expected a number >= 1")
    if args.nproc > 1:
        if args.jobs > 1 or args.executor != "local":
            raise ConfigError("--nproc trains each run over several processes; it does not combine with --jobs or "
                              "--executor ray (runs then go one after another)")
        from cogdl.distributed import launch
        from cogdl.experiment import require_data_parallel

        require_data_parallel(args.task)
        return launch(args.nproc, without_option(args.argv, "--nproc"))

    layers, grid = [], load_grid(args.grid) if args.grid else None
    if args.from_run:
        from pathlib import Path

        from cogdl.experiment import repeat_spec

        repeated = repeat_spec(Path(args.from_run))
        for name in ("task", "model", "dataset", "protocol"):
            given = getattr(args, name)
            if given is not None and given != repeated[name]:
                raise ConfigError(f"--{name} {given}: the run of --from {args.from_run} has {name} {repeated[name]!r}")
            setattr(args, name, repeated[name])
        layers, grid = repeated["layers"], grid or repeated["grid"]
    args.protocol = args.protocol or "seeds"
    missing = [f"--{name}" for name in ("task", "model", "dataset") if getattr(args, name) is None]
    if missing:
        raise ConfigError(f"cogdl train: {', '.join(missing)} required (or --from RUN_DIR)")
    seeds = args.seed if args.seed else parse_seeds(args.seeds) if args.seeds else \
        repeated["seeds"] if args.from_run else [0]
    overrides = parse_set(args.set)
    for flag, key in ((args.save_embeddings, "save_embeddings"), (args.load_embeddings, "load_embeddings")):
        if flag:
            if len(seeds) > 1 and "{seed}" not in flag:
                raise ConfigError(f"--{key.replace('_', '-')} {flag}: with {len(seeds)} seeds put {{seed}} in the "
                                  "file name (one file per seed)")
            overrides[key] = flag
    if args.best_config:
        from cogdl.leaderboard import best_config

        layers.append(best_config(args.task, args.model, args.dataset))
    result = experiment(args.task, args.model, args.dataset, seeds, protocol=args.protocol, layers=layers,
                        config_file=args.config, device=args.device, out=args.out, data_root=args.data_root,
                        progress=sys.stderr.isatty(), command=args.command_line, jobs=args.jobs,
                        grid=grid, executor=args.executor, address=args.address, runs_dir=args.runs_dir,
                        export_predictions=args.export_predictions, logger=args.logger, **overrides)
    if result.run_dir is None and args.out:  # a data-parallel process other than rank 0: rank 0 reports
        return 0
    for line in result.notes:
        print(line)
    print(f"{args.model} on {args.dataset} ({args.task}, {args.protocol} protocol), {len(result.records)} "
          f"{result.unit}(s), {result.wall_seconds:.1f} s")
    print(format_summary(result.summary))
    print(result.run_dir)
    return 0


def format_summary(summary: dict) -> str:
    """One line per metric, test first: `test_acc   81.52 ± 0.61  (n=10)` in percent."""
    ordered = sorted(summary, key=lambda k: (not k.startswith("test_"), k))
    width = max(len(k) for k in ordered)
    lines = [f"{'metric'.ljust(width)}   mean ± std (%)"]
    for name in ordered:
        s = summary[name]
        std = "n/a" if s["std"] is None else f"{100 * s['std']:.2f}"
        lines.append(f"{name.ljust(width)}   {100 * s['mean']:6.2f} ± {std}  (n={s['n']})")
    return "\n".join(lines)


def _describe(obj) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


def cmd_list(args) -> int:
    from cogdl.registry import DATASETS, MODELS, PROTOCOLS, TASKS

    registries = {"models": MODELS, "datasets": DATASETS, "tasks": TASKS, "protocols": PROTOCOLS}
    kinds = [args.kind] if args.kind else list(KINDS)
    rows = {}
    for kind in kinds:
        rows[kind] = []
        for entry in registries[kind].entries():
            row = {"name": entry.name, "source": entry.source, "description": _describe(entry.obj)}
            if kind == "models":
                row["tasks"] = list(entry.obj.supported_tasks)
            rows[kind].append(row)
    if args.json:
        print(json.dumps(rows[args.kind] if args.kind else rows, indent=2))
        return 0
    for kind in kinds:
        print(f"{kind}:")
        for row in rows[kind]:
            tasks = f"  tasks: {', '.join(row['tasks'])}" if "tasks" in row else ""
            print(f"  {row['name']:<20} [{row['source']}]{tasks}  {row['description']}")
    return 0


def cmd_info(args) -> int:
    from cogdl.config import describe_fields
    from cogdl.registry import DATASETS, MODELS, TASKS

    if args.kind == "dataset":
        from cogdl.data.cards import load_card

        from cogdl.data.cards import card_ids

        loader = DATASETS.get(args.name)
        if args.name not in card_ids():  # a folder (hgb:PATH) or a dataset built from others (igb-cora)
            print(f"{args.name}: {loader.__doc__ or 'a dataset read from a folder'}")
            return 0
        card = load_card(args.name)
        print(f"{card.id}: {card.title}\nlicense: {card.license}\nstats: {card.stats}\ncitation: {card.citation}")
        if card.notes:
            print(f"notes: {card.notes}")
        if card.archive:
            print(f"official archive: {card.archive}")
        for f in card.files:
            print(f"  {f.name}  sha256 {f.sha256 or 'not pinned (no copy was available to hash)'}")
        return 0
    if args.kind == "protocol":
        from cogdl.registry import PROTOCOLS

        protocol = PROTOCOLS.get(args.name)
        print(f"protocol {args.name}: {_describe(protocol)}")
        print(inspect.getdoc(inspect.getmodule(protocol)))
        return 0
    obj = (MODELS if args.kind == "model" else TASKS).get(args.name)
    print(f"{args.kind} {args.name}: {_describe(obj)}")
    if args.kind == "task":
        print(f"  takes datasets: {', '.join(shape.shape for shape in obj.accepts)}")
    for name, kind, default, text, rule in describe_fields(obj.Config):
        print(f"  {name}: {kind} = {default!r}  {text}" + (f"  {rule}" if rule else ""))
    return 0


def cmd_data(args) -> int:
    from cogdl.data.cards import card_ids, load_card
    from cogdl.data.root import data_root, dataset_dir, read_dataset_file

    root = data_root(args.data_root)
    if args.data_command == "build" and args.id.startswith("synthetic-"):
        from cogdl.datasets.synthetic import build_synthetic

        stats = build_synthetic(args.id, root, args.seed)["stats"]
        print(f"{args.id}: {stats['num_nodes']} nodes, {stats['num_edges']} edges, {stats['num_features']} features, "
              f"{stats['num_classes']} classes (seed {args.seed}), edge homophily {stats['homophily']}")
        print(root / args.id / "manifest.json")
        return 0
    if args.data_command == "build":
        from cogdl.datasets.igb import build_igb

        manifest = build_igb(args.id, root, args.graphs, args.walk_length, args.seed, args.sampler)
        stats = manifest["stats"]
        print(f"{args.id}: {manifest['graphs']} graphs from {manifest['source']} ({manifest['sampler']}, walk length "
              f"{manifest['walk_length']}, seed {manifest['seed']}), {stats['mean_nodes']} nodes and "
              f"{stats['mean_edges']} edges on average; sha256 {manifest['sha256']}")
        print(root / args.id / "manifest.json")
        return 0
    if args.data_command == "path":
        print(dataset_dir(load_card(args.id), root))
        return 0
    failures, absent = 0, []
    for dataset_id in args.ids or card_ids():
        if dataset_id.startswith("synthetic-"):  # built, not fetched: its manifest holds the sha256
            from cogdl.datasets.synthetic import load_synthetic

            load_synthetic(dataset_id, root, verify=True)
            print(f"{dataset_id}: 5 file(s) checked in {root / dataset_id}")
            continue
        card = load_card(dataset_id)
        if not args.ids and not dataset_dir(card, root).is_dir():
            absent.append(dataset_id)  # only a named id is fetched; the rest are listed below
            continue
        for f in card.files:
            try:
                read_dataset_file(card, f.name, root)
            except CogDLError as exc:
                failures += 1
                print(f"cogdl: error: {exc}", file=sys.stderr)
        print(f"{dataset_id}: {len(card.files)} file(s) checked in {dataset_dir(card, root)}")
    if absent:
        print(f"not in {root} (name them to fetch them): {', '.join(absent)}")
    return 2 if failures else 0


def cmd_env(args) -> int:
    from cogdl.environment import environment

    print(json.dumps(environment(), indent=2))
    return 0


def cmd_bench(args) -> int:
    from pathlib import Path

    from cogdl import bench
    from cogdl.experiment import pick_device

    device = str(pick_device(args.device))
    if args.what == "load" and args.markdown:
        raise ConfigError("cogdl bench load: --markdown is not offered; --json keeps the results")
    if args.what == "load":
        from cogdl import bench_load

        if any(level < 0 for level in args.busy) or len(set(args.busy)) != len(args.busy):
            raise ConfigError(f"--busy {' '.join(map(str, args.busy))}: expected distinct numbers >= 0")
        report = bench_load.run_load(args.models or ("gcn", "gat"), args.datasets, args.epochs, args.rounds,
                                     levels=tuple(args.busy), data_root=args.data_root)
        header = f"{report['machine']['omp_wait']}, {args.rounds} interleaved rounds"
        table = bench_load.load_table(report["results"])
    elif args.what == "ops":
        widths = args.width or ([64, 256] if device.startswith("cuda") else [64])
        report = bench.run_ops(device, args.rounds, large=not args.small, widths=widths, memory=not args.no_memory)
    elif args.what == "capacity":
        report = bench.run_capacity(device, args.budget_mb, args.data_root, args.models or ["gcn", "graphsage", "gat"],
                                    num_layers=args.num_layers, grow=args.grow, hidden=args.hidden)
    else:
        report = bench.run_model_cases(args.what, device, args.rounds, args.data_root, memory=not args.no_memory)
    if args.what == "capacity":
        header = bench.capacity_setting(report)
        table = bench.capacity_table(report["results"])
    elif args.what != "load":
        header, table = f"{args.rounds} interleaved rounds, medians", bench.format_rows(report["results"])
    machine = report["machine"]
    print(f"{machine['devices']}, torch threads {machine['torch_threads']}, {header}")
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(args.json)
    if args.markdown:
        section = args.what + (f"-{args.num_layers}-layers" if args.what == "capacity" and args.num_layers != 3 else "")
        section += "-depth" if args.what == "capacity" and args.grow == "depth" else ""
        section += "-cuda" if device.startswith("cuda") else ""
        bench.write_markdown_section(args.markdown, section, report, args.command_line)
        print(args.markdown)
    return 0


def cmd_search(args) -> int:
    from pathlib import Path

    from cogdl import search
    from cogdl.config import parse_set
    from cogdl.experiment import parse_seeds, path_safe
    from cogdl.leaderboard import best_config
    from cogdl.names import path_component

    if bool(args.storage) != bool(args.study_name):
        raise ConfigError("--storage and --study-name go together (a study is found by both)")
    if args.study_name:
        path_component(args.study_name, "--study-name")  # it names the study's folder under --out
    if args.n_trials < 1 or args.seeds_per_trial < 1:
        raise ConfigError("--n-trials and --seeds-per-trial must be >= 1")
    eval_seeds = parse_seeds(args.eval_seeds)
    if set(eval_seeds) & set(range(args.seeds_per_trial)):
        raise ConfigError(f"--eval-seeds {args.eval_seeds}: overlaps the search seeds 0-{args.seeds_per_trial - 1}")
    space = search.load_space(args.space, args.task, args.model)
    base = {**(best_config(args.task, args.model, args.dataset)[1] if args.best_config else {}), **parse_set(args.set)}
    study = search.run_search(args.task, args.model, args.dataset, space, args.n_trials,
                              seeds_per_trial=args.seeds_per_trial, storage=args.storage, study_name=args.study_name,
                              timeout=args.timeout, sampler_seed=args.sampler_seed, base=base,
                              data_root=args.data_root)
    best = study.best_trial
    study_name = args.study_name or f"{args.task}-{path_safe(args.dataset)}-{args.model}"
    folder = Path(args.out) / args.task / path_safe(args.dataset) / args.model / study_name
    evaluated = {**base, **best.params}
    entry = search.evaluated_before(folder, evaluated, eval_seeds)
    if entry is None:
        entry = search.candidate_entry(args.task, args.model, args.dataset, evaluated, eval_seeds,
                                       folder / "eval-runs", args.data_root, args.command_line)
    else:
        print(f"best trial {best.number} was evaluated on seeds {args.eval_seeds} before: kept from {folder}")
    first = study.trials[0]
    details = {"command": args.command_line, "study_name": study_name, "storage": args.storage,
               "trials": len(study.trials), "metric": search.TASKS.get(args.task).search_metric,
               "seeds_per_trial": args.seeds_per_trial, "space": space, "best_trial": best.number,
               "evaluated_config": evaluated, "best_value": best.value, "default_value": first.value,
               "eval_seeds": eval_seeds}
    search.write_search_folder(folder, study, entry, details)
    states = [t.state.name for t in study.trials]
    repeats = sum(bool(t.user_attrs.get("repeat")) for t in study.trials)
    print(f"{len(states)} trials ({states.count('COMPLETE')} complete, {states.count('PRUNED')} pruned, "
          f"{states.count('FAIL')} failed, of which {repeats} drew parameters already taken); best validation "
          f"{100 * best.value:.2f} (trial {best.number}), "
          f"default config {'n/a' if first.value is None else f'{100 * first.value:.2f}'}")
    finished = states.count("COMPLETE") + states.count("PRUNED")
    if finished < args.n_trials and search.space_size(space) == finished:
        print(f"the space holds {finished} parameter sets, all tried: fewer than --n-trials {args.n_trials}")
    measured = entry["measured"]
    print(f"best config on seeds {args.eval_seeds}: {measured['mean']} ± {measured['std']} (test, n={measured['n']})")
    print(folder)
    return 0


def cmd_reproduce(args) -> int:
    from pathlib import Path

    from cogdl.environment import environment
    from cogdl.leaderboard import reproduce
    from cogdl.protocols.run_store import RunStore
    from cogdl.config import parse_set

    if args.jobs < 1:
        raise ConfigError(f"--jobs {args.jobs}: expected a number >= 1")
    planned = reproduce.plan(args.benchmark, args.tier, args.task, args.model, args.dataset,
                             Path(args.leaderboard) if args.leaderboard else None, parse_set(args.set))
    env = environment()
    store = RunStore(Path(args.out) / f"{args.benchmark}-{args.tier}-runs", env.get("git_commit"), args.resume)
    started = time.perf_counter()
    records = reproduce.run_planned(planned, store, args.jobs, args.data_root, args.executor, args.address)
    rows = [reproduce.compare(item, runs, args.tier) for item, runs in zip(planned, records)]
    header = {"benchmark": args.benchmark, "tier": args.tier, "command": args.command_line,
              "commit": env.get("git_commit"), "devices": env.get("devices"),
              "wall_seconds": round(time.perf_counter() - started, 1), "runs_folder": str(store.folder),
              "reused_runs": store.reused}
    folder = reproduce.write_report(Path(args.out), args.benchmark, args.tier, rows, header)
    print(reproduce.markdown_table(rows), end="")
    print(folder)
    return 1 if args.check and any(row["status"] == "fail" for row in rows) else 0


def cmd_new(args) -> int:
    from pathlib import Path

    from cogdl.scaffold import new_model

    folder = new_model(args.name, Path(args.out))
    print(f"pip install {folder} && pytest {folder / 'tests'} && "
          f"cogdl train --task node_classification --dataset cora --model {args.name}")
    print(folder)
    return 0


def cmd_docs(args) -> int:
    from pathlib import Path

    from cogdl.docs import generate

    for path in generate(Path(args.out)):
        print(path)
    return 0


def cmd_leaderboard(args) -> int:
    from pathlib import Path

    from cogdl.leaderboard import record

    if args.board_command == "render":
        from cogdl.leaderboard.render import render

        for path in render(Path(args.root) if args.root else None, charts=not args.no_charts):
            print(path)
        return 0

    from cogdl.leaderboard.files import entry_label

    entry = record([Path(d) for d in args.run_dirs], Path(args.file), pool=args.pool, variant=args.variant)
    measured = entry["measured"]
    std = "n/a" if measured["std"] is None else measured["std"]
    print(f"{args.file}: {entry_label(entry)}: {measured['mean']} ± {std} (n={measured['n']})")
    return 0


def cmd_apply(args) -> int:
    """`cogdl predict` / `cogdl embed`: one seed's saved weights applied to a dataset (`cogdl.inference`)."""
    import io
    from pathlib import Path

    import numpy as np

    from cogdl.data.atomic import write_files_atomically
    from cogdl.inference import apply_run

    embed = args.command == "embed"
    applied = apply_run(args.run_dir, args.dataset, args.seed, args.data_root, args.device, embed=embed)
    print(f"{applied.model} ({applied.task}) trained on {applied.trained_on}, seed {applied.seed}, applied to "
          f"{applied.dataset}: {applied.outputs.shape[0]} nodes")
    for name, value in sorted(applied.metrics.items(), key=lambda kv: (not kv[0].startswith("test"), kv[0])):
        recorded = applied.recorded.get(name) if applied.dataset == applied.trained_on else None
        note = "" if recorded is None else f"  (recorded {100 * recorded:.2f}{', same' if recorded == value else ''})"
        print(f"{name:<16} {100 * value:.2f}{note}")
    if args.out:
        out = Path(args.out)
        if embed:
            buffer = io.BytesIO()
            np.save(buffer, applied.outputs.numpy())
            content = buffer.getvalue()
        else:
            rows = applied.outputs.argmax(1).tolist()
            content = "node,prediction\n" + "".join(f"{node},{label}\n" for node, label in enumerate(rows))
        try:
            write_files_atomically(out.parent, {out.name: content})
        except OSError as exc:
            raise ConfigError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
        print(out)
    return 0


COMMANDS = {"train": cmd_train, "predict": cmd_apply, "embed": cmd_apply, "list": cmd_list, "info": cmd_info, "data": cmd_data, "env": cmd_env,
            "leaderboard": cmd_leaderboard, "bench": cmd_bench, "reproduce": cmd_reproduce,
            "search": cmd_search, "docs": cmd_docs, "new": cmd_new}
