#!/usr/bin/env python3
"""Golden values for LowBitEval's metrics, from numpy/scipy (the reference definitions).

Writes Tests/LowBitEvalTests/Fixtures/metrics.json:
  - correlation: random (x, y) pairs, many with ties (rounded or small-integer values), with
    scipy.stats.pearsonr, scipy.stats.spearmanr (average ranks) and rankdata(x).
  - percentile:  random values with np.percentile(method="linear") at several q.
  - softmax:     float32 logit rows (some with a huge offset, some with ties for the argmax) with
                 scipy.special.logsumexp, log_softmax, and KL(softmax(ref) || softmax(model))
                 = sum p_ref (log p_ref - log p_model), all in float64 from the float32 values.
  - cosine:      float32 vector pairs with their float64 cosine.
  - centroid:    float32 vectors + 0/1 labels with the five-fold nearest-centroid accuracy of
                 tools/reference/minilm_eval.py (fold k = indices i with i % 5 == k; centroids
                 are means of the L2-normalized training vectors; predict 1 iff x.c1 > x.c0).
  - perplexity:  a bigram "model" (logits row = table[token]) and a reference bigram table over a
                 random token stream, scored with LowBit's protocol (non-overlapping windows of
                 CTX, first token of each window context only): ppl, tokens, kl_mean, kl_p99,
                 top1_agreement (argmax = first index of the max).
  - kjv_gpt2:    ../shared/data/text/kjv-valid.txt tokenized as tools/reference/gpt2_ppl.py does
                 with ../shared/models/gpt2-kjvwiki-6l/tokenizer.json: document count, token
                 count, sum of ids, first and last 16 ids, and the scored tokens at ctx 512.
Usage: python3 scripts/make_eval_fixtures.py   (numpy, scipy, tokenizers; never run in CI)"""
import json, os, sys
import numpy as np
from scipy.special import logsumexp, log_softmax
from scipy.stats import pearsonr, spearmanr, rankdata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'Tests/LowBitEvalTests/Fixtures/metrics.json')
rng = np.random.default_rng(20240611)
f32 = lambda a: [float(v) for v in np.asarray(a, np.float32).ravel()]

def correlation_cases():
    cases = []
    for n, kind in [(5, 'int'), (12, 'int'), (30, 'round1'), (50, 'normal'), (200, 'round2'), (300, 'round2')]:
        if kind == 'int':
            x, y = rng.integers(0, 4, n).astype(float), rng.integers(0, 3, n).astype(float)
        elif kind == 'normal':
            x = rng.normal(size=n); y = 0.6 * x + rng.normal(size=n)
        else:
            d = int(kind[-1]); x = np.round(rng.normal(size=n), d); y = np.round(0.5 * x + rng.normal(size=n), d)
        cases.append({'x': x.tolist(), 'y': y.tolist(), 'pearson': float(pearsonr(x, y)[0]),
                      'spearman': float(spearmanr(x, y)[0]), 'ranks_x': rankdata(x).tolist()})
    return cases

def percentile_cases():
    cases = []
    for n in [1, 2, 7, 100, 1001]:
        v = rng.exponential(size=n) * 0.01
        qs = [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0]
        cases.append({'values': v.tolist(), 'q': qs, 'expected': [float(np.percentile(v, 100 * q)) for q in qs]})
    return cases

def softmax_cases():
    cases = []
    for v, scale, offset in [(1, 1, 0), (5, 3, 0), (37, 4, 0), (37, 10, 1000), (1000, 8, -50), (49, 1, 0)]:
        r = np.float32(rng.normal(size=v) * scale + offset); m = np.float32(r + rng.normal(size=v) * 0.3)
        if v == 49: m[3] = m[10] = m.max() + 1  # a tie for the argmax: the first index wins
        rd, md = r.astype(np.float64), m.astype(np.float64)
        lr, lm = log_softmax(rd), log_softmax(md)
        cases.append({'reference': f32(r), 'model': f32(m), 'lse_model': float(logsumexp(md)),
                      'log_softmax_model': lm.tolist(), 'argmax_model': int(np.argmax(m)),
                      'kl': float(np.sum(np.exp(lr) * (lr - lm)))})
    return cases

def cosine_cases():
    cases = []
    for d in [1, 3, 17, 384]:
        a, b = np.float32(rng.normal(size=d)), np.float32(rng.normal(size=d))
        ad, bd = a.astype(np.float64), b.astype(np.float64)
        cases.append({'a': f32(a), 'b': f32(b), 'cosine': float(ad @ bd / np.linalg.norm(ad) / np.linalg.norm(bd))})
    return cases

def centroid_case():
    n, d = 53, 8
    y = rng.integers(0, 2, n); X = np.float32(rng.normal(size=(n, d)) + 0.7 * y[:, None])
    Xn = X.astype(np.float64); Xn /= np.linalg.norm(Xn, axis=1, keepdims=True); idx = np.arange(n); acc = []
    for k in range(5):
        te, tr = idx[idx % 5 == k], idx[idx % 5 != k]
        c1, c0 = Xn[tr][y[tr] == 1].mean(0), Xn[tr][y[tr] == 0].mean(0)
        acc.append(float(((Xn[te] @ c1 > Xn[te] @ c0).astype(int) == y[te]).mean()))
    return {'vectors': [f32(r) for r in X], 'labels': y.tolist(), 'fold_accuracies': acc, 'accuracy': float(np.mean(acc))}

def perplexity_case():
    V, N, ctx = 11, 103, 8
    model = np.float32(rng.normal(size=(V, V)) * 2); ref = np.float32(model + rng.normal(size=(V, V)) * 0.5)
    ids = rng.integers(0, V, N)
    nll, kls, agree = [], [], 0
    for s in range(0, len(ids) - 1, ctx):
        w = ids[s: s + ctx]
        if len(w) < 2: break
        for t in range(len(w) - 1):
            lm, lr = log_softmax(model[w[t]].astype(np.float64)), log_softmax(ref[w[t]].astype(np.float64))
            nll.append(-lm[w[t + 1]]); kls.append(float(np.sum(np.exp(lr) * (lr - lm))))
            agree += int(np.argmax(model[w[t]]) == np.argmax(ref[w[t]]))
    return {'vocabulary': V, 'ctx': ctx, 'tokens': ids.tolist(), 'model': [f32(r) for r in model], 'reference': [f32(r) for r in ref],
            'ppl': float(np.exp(np.mean(nll))), 'scored': len(nll), 'kl_mean': float(np.mean(kls)),
            'kl_p99': float(np.percentile(kls, 99)), 'top1_agreement': agree / len(nll)}

def kjv_gpt2():
    from tokenizers import Tokenizer
    shared = os.path.join(ROOT, '..', 'shared')
    tok = Tokenizer.from_file(os.path.join(shared, 'models/gpt2-kjvwiki-6l/tokenizer.json')); eot = tok.token_to_id('<|endoftext|>')
    ids, docs = [], 0
    for doc in open(os.path.join(shared, 'data/text/kjv-valid.txt')).read().split('\n\n'):
        if doc.strip(): ids += tok.encode(doc.strip()).ids + [eot]; docs += 1
    scored = sum(len(ids[s: s + 512]) - 1 for s in range(0, len(ids) - 1, 512))
    return {'documents': docs, 'count': len(ids), 'sum': int(sum(ids)), 'first': ids[:16], 'last': ids[-16:],
            'end_of_text': eot, 'scored_ctx512': scored, 'windows_ctx512': len(range(0, len(ids) - 1, 512))}

out = {'correlation': correlation_cases(), 'percentile': percentile_cases(), 'softmax': softmax_cases(),
       'cosine': cosine_cases(), 'centroid': centroid_case(), 'perplexity': perplexity_case(), 'kjv_gpt2': kjv_gpt2()}
with open(OUT, 'w') as f: json.dump(out, f)
print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes)', file=sys.stderr)
