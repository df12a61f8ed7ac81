"""`tfxkit serve` and `tfxkit predict`: online and batch prediction with pushed models."""

from __future__ import annotations

import argparse

from tfxkit.cli.common import UsageError, add_verbose_option, quiet_heavy_imports


def cmd_serve(args: argparse.Namespace) -> int:
    """`tfxkit serve DESTINATION`: TF Serving's REST API over the pushed versions."""
    quiet_heavy_imports()
    from tfxkit.serving.server import serve

    serve(args.destination, port=args.port, host=args.host, model_name=args.model_name,
          poll_seconds=args.poll_seconds)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """`tfxkit predict DESTINATION --input ... --output ...`: PredictionLogs for CSV rows."""
    quiet_heavy_imports()
    from tfxkit.serving.batch import predict_files

    if args.version is not None and args.alias is not None:
        raise UsageError("pass --version N or --alias NAME, not both.")
    summary = predict_files(args.destination, args.input, args.output, version=args.version,
                            alias=args.alias, beam_pipeline_args=args.beam_arg or [
                                "--direct_running_mode=in_memory", "--direct_num_workers=1"],
                            null_values=None if args.null_values is None
                            else tuple(v for v in args.null_values.split(",") if v))
    print(f"version {summary.version} ({summary.model_path}): {summary.count} predictions from "
          f"{len(summary.files)} file(s) -> {summary.output}/prediction_logs-*.gz")
    if summary.ignored_columns:
        print(f"  columns the model does not take, ignored: "
              f"{', '.join(summary.ignored_columns)}")
    return 0


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"expected a port number 1-65535, found {text!r}")
    return int(text)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, found {text!r}")
    return value


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `serve` and `predict` to the `tfxkit` subcommands."""
    serve = sub.add_parser(
        "serve", help="serve pushed models on TF Serving's REST API",
        description="Serve every pushed version at DESTINATION on TF Serving's REST API "
                    "(GET /v1/models/NAME, POST /v1/models/NAME[/versions/N]:predict); new "
                    "pushes are picked up without a restart. SIGTERM or Ctrl-C stops it.")
    serve.add_argument("destination", help="the Pusher's base directory")
    serve.add_argument("--port", type=_port, default=8501, help="port (default 8501, TF "
                                                                "Serving's REST port)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    serve.add_argument("--model-name", help="model name in the URL (default: the "
                                            "destination folder's name)")
    serve.add_argument("--poll-seconds", type=_positive, default=2.0,
                       help="how often to look for new versions (default 2)")
    add_verbose_option(serve)
    serve.set_defaults(handler=cmd_serve)

    predict = sub.add_parser(
        "predict", help="score CSV files with a pushed model version (batch prediction)",
        description="Predict with a pushed version on every row of CSV files (header row; "
                    "columns the model does not take are ignored) and write TFX's "
                    "PredictionLog records to OUTPUT/prediction_logs-*.gz, on Beam.")
    predict.add_argument("destination", help="the Pusher's base directory")
    predict.add_argument("--version", type=int, help="version number (default: the latest)")
    predict.add_argument("--alias", help="version alias, e.g. production")
    predict.add_argument("--input", nargs="+", required=True, metavar="CSV",
                         help="CSV files or patterns, e.g. 'data/*.csv'")
    predict.add_argument("--output", required=True, help="folder for prediction_logs-*.gz "
                                                          "(must not hold logs already)")
    predict.add_argument("--null-values", metavar="TOKENS",
                         help="comma-separated cell values read as missing, as CsvExampleGen's "
                              "null_values (default: NA,N/A,n/a,NULL,null; '' for none)")
    predict.add_argument("--beam-arg", action="append", metavar="ARG",
                         help="Beam pipeline option, e.g. --beam-arg=--runner=DirectRunner "
                              "(repeatable)")
    add_verbose_option(predict)
    predict.set_defaults(handler=cmd_predict)
