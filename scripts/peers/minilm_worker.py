#!/usr/bin/env python3
"""MiniLM peers, one per process (so no framework's thread pool spins beside another's):

  minilm_worker.py export MODEL_DIR FP32.onnx INT8.onnx
      ONNX export of transformers' BertModel (input_ids, attention_mask, token_type_ids →
      last_hidden_state) with torch, then onnxruntime.quantization.quantize_dynamic (INT8 weights,
      dynamic uint8 activations) of it, after quant_pre_process when that works.
  minilm_worker.py embed ort|torch MODEL TOKENIZER_DIR --text FILE
      The embedding of each line (truncated at 256 tokens as sentence-transformers), one at a time,
      for the agreement column (cosine to PyTorch FP32).
  minilm_worker.py time ort|torch MODEL TOKENIZER_DIR --threads T --shapes 1x16,1x128 --warmup W --repeats R --text FILE
      Times sentence embedding (model + mean pooling + L2 norm) per batch on the same ids as
      `lowbit bench` (B sequences of [CLS] + S−2 consecutive text tokens + [SEP], no padding).

Prints one JSON object."""
import argparse, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import latency, text_lines, timed  # noqa: E402


def encoder_ids(tokenizer_dir, text, batch, seq):
    """[batch][seq] ids as BenchWorkload.encoderIDs: the text's WordPiece stream, read on per sequence."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    stream = tok("\n".join(text_lines(text)), add_special_tokens=False, verbose=False)["input_ids"]
    n = len(stream)
    return [[tok.cls_token_id] + [stream[(b * (seq - 2) + j) % n] for j in range(seq - 2)] + [tok.sep_token_id]
            for b in range(batch)]


def export(model_dir, fp32_path, int8_path):
    import torch
    from transformers import AutoModel
    model = AutoModel.from_pretrained(model_dir, dtype=torch.float32).eval()

    class Encoder(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.long)
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    try:  # the TorchScript exporter: plain ONNX ops, as the usual MiniLM exports
        torch.onnx.export(Encoder(model), args, fp32_path, input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
        exporter = "torch.onnx.export (TorchScript), opset 17"
    except Exception as e:  # noqa: BLE001 — newer torch without it: the dynamo exporter
        print(f"TorchScript export failed ({e}); using dynamo=True", file=sys.stderr)
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
        shapes = {n: {0: batch, 1: seq} for n in names}
        torch.onnx.export(Encoder(model), args, fp32_path, input_names=names, output_names=["last_hidden_state"],
                          dynamic_shapes=shapes, dynamo=True)
        exporter = "torch.onnx.export (dynamo)"
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    fp32_path, int8_path = os.path.abspath(fp32_path), os.path.abspath(int8_path)
    source, pre = fp32_path, "none"
    import shutil, tempfile
    scratch = tempfile.mkdtemp(dir=os.path.dirname(int8_path))
    os.chdir(scratch)  # quant_pre_process leaves temporary files in the working directory: removed below
    prepped = os.path.join(scratch, "pre.onnx")
    for skip_symbolic in (False, True):  # symbolic shape inference fails on some exports
        try:
            quant_pre_process(fp32_path, prepped, skip_symbolic_shape=skip_symbolic)
            source, pre = prepped, "quant_pre_process" + (" (skip_symbolic_shape)" if skip_symbolic else "")
            break
        except Exception as e:  # noqa: BLE001 — try the next way, else quantize the raw export
            print(f"quant_pre_process(skip_symbolic_shape={skip_symbolic}) failed ({e})", file=sys.stderr)
    quantize_dynamic(source, int8_path, weight_type=QuantType.QInt8)
    os.chdir(os.path.dirname(int8_path))
    shutil.rmtree(scratch, ignore_errors=True)
    import onnxruntime
    print(json.dumps({"exporter": exporter, "int8": f"quantize_dynamic(weight_type=QInt8) after {pre}",
                      "torch": torch.__version__, "onnxruntime": onnxruntime.__version__}))


def make_runner(engine, model_path, threads):
    """fn(ids) → normalized sentence embeddings, and the framework's name and version."""
    import numpy as np
    if engine == "ort":
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
        wanted = {i.name for i in sess.get_inputs()}

        def run(ids):
            mask = np.ones_like(ids)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            h = sess.run(None, {k: v for k, v in feed.items() if k in wanted})[0]
            v = (h * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            return v / np.linalg.norm(v, axis=1, keepdims=True)
        return run, f"onnxruntime {ort.__version__}"
    import torch
    from transformers import AutoModel
    torch.set_num_threads(threads)
    model = AutoModel.from_pretrained(model_path, dtype=torch.float32).eval()

    def run(ids):
        with torch.inference_mode():
            t = torch.from_numpy(ids)
            mask = torch.ones_like(t)
            h = model(input_ids=t, attention_mask=mask, token_type_ids=torch.zeros_like(t)).last_hidden_state
            v = (h * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
            return torch.nn.functional.normalize(v, p=2, dim=1)
    return run, f"torch {torch.__version__}"


def time_engine(a):
    import numpy as np
    run, framework = make_runner(a.engine, a.model, a.threads)
    results = []
    for shape in a.shapes.split(","):
        batch, seq = (int(x) for x in shape.split("x"))
        ids = np.array(encoder_ids(a.tokenizer, a.text, batch, seq), dtype=np.int64)
        stats = latency(timed(lambda: run(ids), a.warmup, a.repeats))
        per_s = 1e3 / stats["median_ms"]
        results.append({"batch": batch, "seq": seq, "latency": stats, "sentences_per_second": batch * per_s,
                        "tokens_per_second": batch * seq * per_s})
    import resource
    print(json.dumps({"framework": framework, "threads": a.threads, "shapes": results,
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def embed_lines(a):
    import numpy as np
    from transformers import AutoTokenizer
    run, framework = make_runner(a.engine, a.model, a.threads)
    tok = AutoTokenizer.from_pretrained(a.tokenizer)
    vectors = [np.asarray(run(np.array([tok(line, truncation=True, max_length=256)["input_ids"]], dtype=np.int64)))[0].tolist()
               for line in text_lines(a.text)]
    print(json.dumps({"framework": framework, "embeddings": vectors}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("model"), e.add_argument("fp32"), e.add_argument("int8")
    for name in ["time", "embed"]:
        t = sub.add_parser(name)
        t.add_argument("engine", choices=["ort", "torch"])
        t.add_argument("model"), t.add_argument("tokenizer")
        t.add_argument("--threads", type=int, default=2)
        t.add_argument("--shapes", default="1x16")
        t.add_argument("--warmup", type=int, default=1)
        t.add_argument("--repeats", type=int, default=5)
        t.add_argument("--text", required=True)
    a = ap.parse_args()
    if a.cmd == "export":
        export(a.model, a.fp32, a.int8)
    elif a.cmd == "embed":
        embed_lines(a)
    else:
        time_engine(a)


if __name__ == "__main__":
    main()
