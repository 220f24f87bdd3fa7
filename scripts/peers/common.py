"""Shared helpers of scripts/bench_peers.py and its workers: paths, subprocesses, timing
statistics, machine description, the benchmark text and the perplexity windows."""
import datetime, json, os, platform, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
LOWBIT = os.path.join(ROOT, ".build", "release", "lowbit")
LEE50 = os.path.join(SHARED, "data", "labelled", "lee50-docs.txt")
WIKI_VALID = os.path.join(SHARED, "data", "text", "wiki-valid.txt")


def log(*args):
    print("[bench_peers]", *args, file=sys.stderr, flush=True)


def run(cmd, env=None, timeout=None):
    """Runs cmd; returns (returncode, stdout, stderr) — never raises for a failing command."""
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return 124, e.stdout or "", f"timed out after {timeout} s"
    except OSError as e:
        return 127, "", str(e)


def last_line(text):
    lines = [l for l in (text or "").strip().splitlines() if l.strip()]
    return lines[-1][:300] if lines else "(no output)"


def json_from(stdout):
    """The one JSON object a command printed (pretty-printed or not)."""
    text = stdout.strip()
    return json.loads(text[text.index("{"):])


def run_json(cmd, env=None, timeout=None):
    """Runs a command that prints one JSON object; returns it, or {"error": why} when it fails."""
    rc, out, err = run(cmd, env=env, timeout=timeout)
    if rc != 0:
        return {"error": f"exit {rc}: {last_line(err) if err.strip() else last_line(out)}"}
    try:
        return json_from(out)
    except (ValueError, json.JSONDecodeError):
        return {"error": f"no JSON in the output: {last_line(out)}"}


def latency(seconds):
    """Median / p10 / p90 / min in ms of per-run seconds (numpy's linear quantiles, as `lowbit bench`)."""
    import numpy as np
    ms = np.array(seconds, dtype=np.float64) * 1e3
    return {"median_ms": float(np.quantile(ms, 0.5)), "p10_ms": float(np.quantile(ms, 0.1)),
            "p90_ms": float(np.quantile(ms, 0.9)), "min_ms": float(ms.min()), "samples": int(ms.size)}


def timed(fn, warmup, repeats):
    """Calls fn warmup times untimed, then repeats times; returns the per-call seconds."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def text_lines(path):
    """Non-empty lines of a text file (what `lowbit bench --text` reads)."""
    with open(path, encoding="utf-8") as f:
        return [l for l in f.read().split("\n") if l.strip()]


def documents(path):
    """The documents of a perplexity text, as LowBitEval's Documents.split (and
    tools/reference/gpt2_ppl.py): split on every blank line, each stripped, empty ones dropped."""
    with open(path, encoding="utf-8") as f:  # universal newlines: \r\n → \n as TextFile.read
        text = f.read()
    return [d.strip() for d in text.split("\n\n") if d.strip()]


def windows(count, context):
    """PerplexityTask.windows: starts 0, context, 2·context … below count − 1; each up to context long."""
    return [(s, min(s + context, count)) for s in range(0, count - 1, context)]


def cpu_description():
    name, flags = platform.processor(), set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and name in ("", platform.processor()):
                name = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    wanted = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8"]
    return {"cpu": name, "cores": os.cpu_count(), "flags": [f for f in wanted if f in flags]}


def machine():
    m = cpu_description()
    m["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    m["python"] = platform.python_version()
    rc, out, _ = run(["git", "rev-parse", "--short", "HEAD"])
    m["commit"] = out.strip() if rc == 0 else "?"
    rc, out, _ = run(["git", "status", "--porcelain", "--untracked-files=no"])
    m["dirty"] = rc == 0 and bool(out.strip())
    try:
        load = os.getloadavg()
        m["load"] = f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    except OSError:
        m["load"] = "?"
    return m
