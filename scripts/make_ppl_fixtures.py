"""Golden perplexities of the GPT-2 reference model from Hugging Face transformers (float64),
with LowBit's protocol: documents = blank-line-separated paragraphs (stripped), each followed by
<|endoftext|>, concatenated, scored in non-overlapping windows of CTX tokens (default: the
model's context capped at 512), the first token of each window unscored.

Writes Tests/LowBitEvalTests/Fixtures/gpt2_ppl.json. Run by hand (never in CI):
    python3 scripts/make_ppl_fixtures.py [../shared]
Needs torch (CPU), transformers, tokenizers."""
import json, math, os, sys
import torch
from tokenizers import Tokenizer
from transformers import GPT2LMHeadModel

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared")
mdir = os.path.join(shared, "models", "gpt2-kjvwiki-6l")
model = GPT2LMHeadModel.from_pretrained(mdir, torch_dtype=torch.float64).eval()
tok = Tokenizer.from_file(os.path.join(mdir, "tokenizer.json"))
eot = tok.token_to_id("<|endoftext|>")
ctx = min(model.config.n_positions, 512)

def token_ids(path):
    ids = []
    for doc in open(path, encoding="utf-8").read().split("\n\n"):
        if doc.strip():
            ids += tok.encode(doc.strip()).ids + [eot]
    return ids

out = {"model": "gpt2-kjvwiki-6l", "ctx": ctx, "framework": f"transformers {__import__('transformers').__version__}, torch {torch.__version__}, float64", "texts": {}}
for name in ["kjv-valid", "wiki-valid"]:
    ids = token_ids(os.path.join(shared, "data", "text", name + ".txt"))
    nll, n = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(ids) - 1, ctx):
            w = ids[s:s + ctx]
            if len(w) < 2:
                break
            lp = torch.log_softmax(model(torch.tensor([w])).logits[0], -1)
            nll -= lp[torch.arange(len(w) - 1), torch.tensor(w[1:])].sum().item()
            n += len(w) - 1
    out["texts"][name] = {"tokens": n, "ppl": math.exp(nll / n)}
    print(name, out["texts"][name], file=sys.stderr)

dest = os.path.join(root, "Tests", "LowBitEvalTests", "Fixtures", "gpt2_ppl.json")
with open(dest, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", dest, file=sys.stderr)
