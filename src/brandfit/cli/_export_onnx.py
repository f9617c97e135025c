"""``brandfit export-onnx``: export and cache the int8 ONNX embedding model now rather than at first use."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-onnx",
        help="export all-MiniLM-L6-v2 to an int8 ONNX model for the onnx backend (once, 10-60 s)",
        description="Export the packaged all-MiniLM-L6-v2 weights to ONNX, quantise them to int8 and cache the "
        "result with a checksum. The onnx backend does this at first use; run it ahead of time on build or "
        "deploy machines. A sound cached model is kept unless --force. Prints the model's path.",
    )
    p.add_argument("--force", action="store_true", help="export again even if a sound cached model exists")
    p.add_argument(
        "--cache-dir", metavar="DIR", default=None,
        help="where the model is cached (default: $BRANDFIT_CACHE_DIR, else ~/.cache/brandfit/onnx)",
    )
    p.set_defaults(func=_export_onnx)


def _export_onnx(args: argparse.Namespace) -> int:
    from brandfit.embedding.onnx_export import ensure_model, read_sidecar
    from brandfit.errors import OnnxExportError

    try:
        status = ensure_model(args.cache_dir, force=args.force)
    except OnnxExportError as exc:
        print(f"brandfit: error: {exc}", file=sys.stderr)
        return 1
    meta = read_sidecar(status.sidecar)
    what = f"exported in {status.seconds:.0f} s ({status.reason})" if status.exported else "already cached and verified"
    print(
        f"{what}: {meta['onnx_bytes'] / 1e6:.1f} MB, sha256 {meta['onnx_sha256'][:16]}..., "
        f"onnxruntime {meta['onnxruntime']}",
        file=sys.stderr,
    )
    print(status.path)
    return 0
