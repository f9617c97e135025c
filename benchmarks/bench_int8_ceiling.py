"""How fast can int8 onnxruntime get on this CPU? The hardware ceiling behind issue 8's 3x goal, measured.

    .venv/bin/python benchmarks/bench_int8_ceiling.py [--n 1000] [--rounds 3] [--json OUT]

Everything runs on one thread, so the figures are CPU work, which other load on a shared machine disturbs less
than wall-clock throughput. It prints:

1. the CPU and the instruction-set extensions onnxruntime's int8 kernels (MLAS) choose between: AVX2 only, or
   AVX-VNNI / AVX512-VNNI / AMX, which multiply-accumulate int8 in one instruction;
2. the GEMM kernels alone, at the shapes of all-MiniLM-L6-v2's projections (M = 1120 token rows, a batch of 32
   captions of 35 tokens): float32 ``MatMul`` against the u8s8 ``MatMulIntegerToFloat`` the shipped graph uses,
   in GMAC/s, and their ratio;
3. a profile of the shipped int8 graph on the benchmark captions: milliseconds per caption in the int8 GEMMs and
   in everything else, by operator;
4. the torch (sentence-transformers) path on the same captions, one thread;
5. the bound: torch's time over the int8 GEMMs' time alone, i.e. the ratio onnx would reach if every other
   operator (LayerNorm, GELU, softmax, quantising activations) were free, and how much non-GEMM time the 3x goal
   leaves.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_onnx import cpu_info, cpu_ms_per_text, load_captions  # noqa: E402

SHAPES = ((384, 384), (384, 1536), (1536, 384))  # (K, N): Q/K/V/attention output, FFN up, FFN down
ROWS = 1120


def _session(model, threads: int = 1):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def _best(sess, feeds, rounds: int = 15) -> float:
    sess.run(None, feeds)
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        sess.run(None, feeds)
        best = min(best, time.perf_counter() - t)
    return best


def gemm_rates() -> list[dict]:
    """GMAC/s of float32 MatMul and u8s8 MatMulIntegerToFloat (constant, prepacked weights), one thread."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    out = []
    for k, n in SHAPES:
        inits = [
            numpy_helper.from_array(rng.standard_normal((k, n)).astype(np.float32), "w"),
            numpy_helper.from_array(rng.integers(-127, 128, (k, n)).astype(np.int8), "wq"),
            numpy_helper.from_array(np.float32(1.0), "one"),
            numpy_helper.from_array(np.full(n, 0.01, np.float32), "s_col"),
            numpy_helper.from_array(np.uint8(128), "zp"),
        ]

        def model(node, dtype):
            used = [i for i in inits if i.name in node.input]
            graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", dtype, [None, k])],
                                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, n])], used)
            return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                           helper.make_opsetid("com.microsoft", 1)])

        fp32 = model(helper.make_node("MatMul", ["x", "w"], ["y"]), TensorProto.FLOAT)
        int8 = model(helper.make_node("MatMulIntegerToFloat", ["x", "wq", "one", "s_col", "zp"], ["y"],
                                      domain="com.microsoft"), TensorProto.UINT8)
        x = rng.standard_normal((ROWS, k)).astype(np.float32)
        xq = rng.integers(0, 256, (ROWS, k)).astype(np.uint8)
        t32, t8 = _best(_session(fp32), {"x": x}), _best(_session(int8), {"x": xq})
        gmac = ROWS * k * n / 1e9
        out.append({"k": k, "n": n, "fp32_gmacs": gmac / t32, "u8s8_gmacs": gmac / t8, "ratio": t32 / t8})
    return out


def _feeds(texts: list[str], batch_size: int = 32) -> list[dict]:
    from brandfit.embedding._onnx import load_tokenizer
    from brandfit.embedding._torch import packaged_model_dir

    tok = load_tokenizer(packaged_model_dir())
    enc = tok.encode_batch(texts)
    lens = np.array([len(e.ids) for e in enc])
    order = np.argsort(lens, kind="stable")
    feeds = []
    for b in range(0, len(order), batch_size):
        rows = order[b : b + batch_size]
        ids = np.zeros((len(rows), lens[rows].max()), np.int64)
        mask = np.zeros_like(ids)
        for j, i in enumerate(rows):
            ids[j, : lens[i]] = enc[i].ids
            mask[j, : lens[i]] = 1
        feeds.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    return feeds


def profile_int8(model_path: Path, texts: list[str], rounds: int) -> dict:
    """CPU ms per caption of the shipped graph, one thread, and the share of each operator (onnxruntime profile)."""
    import onnxruntime as ort

    feeds = _feeds(texts)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    plain = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
    for f in feeds[:4]:
        plain.run(None, f)
    spent = []
    for _ in range(rounds):
        t = time.process_time()
        for f in feeds:
            plain.run(None, f)
        spent.append(time.process_time() - t)
    total_ms = 1000 * min(spent) / len(texts)

    with tempfile.TemporaryDirectory(prefix="bench_int8_ceiling-") as tmp:
        opts.enable_profiling = True
        opts.profile_file_prefix = os.path.join(tmp, "ort")
        prof = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        for f in feeds:
            prof.run(None, f)
        events = json.loads(Path(prof.end_profiling()).read_text())
    by_op: collections.Counter = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            by_op[e["args"]["op_name"]] += e["dur"]
    kernel_total = sum(by_op.values())
    share = {op: us / kernel_total for op, us in by_op.most_common()}
    gemm_share = share.get("MatMulIntegerToFloat", 0.0)
    return {"ms_per_caption": total_ms, "gemm_share": gemm_share, "gemm_ms": total_ms * gemm_share,
            "other_ms": total_ms * (1 - gemm_share), "share_by_op": share}


def torch_ms(texts: list[str], rounds: int) -> float:
    import torch

    from brandfit.embedding import get_embedder

    torch.set_num_threads(1)
    return cpu_ms_per_text(get_embedder("torch"), texts, rounds)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="captions (default 1000)")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds, best kept (default 3)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = p.parse_args(argv)

    import onnxruntime

    from brandfit.embedding.onnx_export import ensure_model

    cpu = cpu_info()
    vnni = any(cpu["flags"].get(f) for f in ("avx512_vnni", "avx_vnni", "amx_int8"))
    print(f"CPU: {cpu['model_name']} (family {cpu['family']}, model {cpu['model']}); onnxruntime "
          f"{onnxruntime.__version__}")
    print("  int8-relevant extensions: " + ", ".join(f"{f} {'yes' if v else 'no'}" for f, v in cpu["flags"].items()))
    print("  -> int8 GEMM path: " + ("VNNI/AMX (one instruction per int8 multiply-accumulate)" if vnni else
                                     "AVX2 only (vpmaddubsw + vpmaddwd: int8 at best ~2x float32 FMA)"))

    rates = gemm_rates()
    print(f"\nGEMM kernels alone, one thread, M = {ROWS} rows (best of 15):")
    for r in rates:
        print(f"  K={r['k']:>4} N={r['n']:>4}: float32 {r['fp32_gmacs']:5.1f} GMAC/s, u8s8 int8 {r['u8s8_gmacs']:5.1f} "
              f"GMAC/s -> {r['ratio']:.2f}x")

    texts = load_captions(args.n)
    status = ensure_model(None)
    prof = profile_int8(status.path, texts, args.rounds)
    t_torch = torch_ms(texts, args.rounds)
    print(f"\n{len(texts)} captions from data/labeled/texts, one thread (CPU ms per caption, best of {args.rounds}):")
    print(f"  torch (sentence-transformers):        {t_torch:6.2f}")
    print(f"  onnx int8, shipped graph:             {prof['ms_per_caption']:6.2f}   ({t_torch / prof['ms_per_caption']:.2f}x less)")
    print(f"    of which int8 GEMMs:                {prof['gemm_ms']:6.2f}   ({100 * prof['gemm_share']:.0f}%)")
    print(f"    of which everything else:           {prof['other_ms']:6.2f}")
    top = [(op, s) for op, s in prof["share_by_op"].items() if op != "MatMulIntegerToFloat"][:8]
    print("      " + ", ".join(f"{op} {s * prof['ms_per_caption']:.2f}" for op, s in top))
    bound = t_torch / prof["gemm_ms"]
    leave = t_torch / 3 - prof["gemm_ms"]
    print(f"\nBound: with every non-GEMM operator free, onnx would do {bound:.2f}x less work than torch on one thread.")
    print(f"For 3x less work, the non-GEMM operators would have to fit in {leave:.2f} ms/caption "
          f"(now {prof['other_ms']:.2f}); LayerNorm, GELU and softmax alone take "
          f"{sum(prof['share_by_op'].get(op, 0) for op in ('SkipLayerNormalization', 'LayerNormalization', 'BiasGelu', 'Gelu', 'Softmax')) * prof['ms_per_caption']:.2f}.")
    print("With two CPUs the onnx backend scales better than torch's intra-op threads (see bench_onnx.py), which "
          "raises the wall-clock ratio by roughly the ratio of the two scalings.")
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu, "gemm": rates, "int8_profile": prof, "torch_ms": t_torch,
                                         "bound_if_non_gemm_free": bound}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
