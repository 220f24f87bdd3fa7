#!/usr/bin/env python3
"""Golden data for LowBit's tokenizers, from Hugging Face `tokenizers` (the reference).

Writes, under Tests/LowBitTokenizersTests/Fixtures/:
  - bert_minilm.json   all-MiniLM-L6-v2 WordPiece (tokenizer.json): per text the ids with
                       [CLS]/[SEP] and no truncation, truncated to 16 and (where it matters) 128,
                       ids with special-token parsing off, and decode(skip_special_tokens=True);
                       sentence pairs with token type ids (no truncation, 16, 128; longest-first);
                       one padded batch (ids, attention mask, type ids).
  - gpt2_kjvwiki.json  ../shared/models/gpt2-kjvwiki-6l byte-level BPE (tokenizer.json).
  - smollm2.json       SmolLM2-135M-Instruct byte-level BPE, built here from the GGUF metadata
                       (tokens, merges, control tokens) with the pre-tokenizer Hugging Face ships
                       for SmolLM2 (and llama.cpp's `smollm` pre-type means):
                       Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False)].
  BPE cases hold the ids with special tokens parsed (HF's default) and, for texts that contain
  a special token's text, the ids with `encode_special_tokens=True` (parsing off). Where HF's
  decode(encode(text)) is not the text (a byte missing from the vocabulary is dropped, as in
  SmolLM2, which has no token for bytes 0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xF1-0xF3, ...),
  the case also holds HF's `decoded` text.

With --llama-cpp it also tokenizes every text with llama.cpp (llama-cpp-python, vocab_only) and
reports texts where it differs from the HF reference. Last run (llama-cpp-python 0.3.36): all
fixture texts agree; on 30,000 random multi-script strings 10 differed, all from llama.cpp's own
Unicode tables (e.g. Unicode 16 letters, a symbol followed by a combining mark).

With --tables it instead regenerates Sources/LowBitTokenizers/Unicode/HFCharacterTables.swift:
the character classes `tokenizers` uses (BertNormalizer clean-up, accents, CJK ranges,
BertPreTokenizer punctuation/whitespace, the byte-level regex's \\s \\p{L} \\p{N}, the Digits
pre-tokenizer's numeric test), probed one code point at a time (about 40 s). They are tables
because the Rust crates and Oniguruma inside `tokenizers` carry different Unicode versions than
Swift's standard library does; probing pins exactly what the reference does.

The texts are drawn deterministically (seeded) from ../shared/data plus hand-picked hard cases,
so re-running gives the same files for the same `tokenizers` version.

Usage (from anywhere; needs `pip install tokenizers gguf`, `bash scripts/fetch-models.sh`, and
../shared beside the repository):
    python3 scripts/make_tokenizer_fixtures.py            # fixtures
    python3 scripts/make_tokenizer_fixtures.py --tables   # Unicode tables
    python3 scripts/make_tokenizer_fixtures.py --llama-cpp  # also cross-check SmolLM2 against
                                                            # llama-cpp-python, if installed
"""
import argparse, json, os, random, sys

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
FIXTURES = os.path.join(ROOT, "Tests", "LowBitTokenizersTests", "Fixtures")
TABLES = os.path.join(ROOT, "Sources", "LowBitTokenizers", "Unicode", "HFCharacterTables.swift")
BERT_DIR = os.path.join(ROOT, ".models", "all-MiniLM-L6-v2")
SMOL_GGUF = os.path.join(ROOT, ".models", "SmolLM2-135M-Instruct.Q4_1.gguf")
GPT2_DIR = os.path.join(SHARED, "models", "gpt2-kjvwiki-6l")
SEED = 20241123

# ---------------------------------------------------------------------------------------------
# Texts

HARD_CASES = [
    "", " ", "  ", "\n", "\t", "a", "Hello world", "Hello, world!", "hello\tworld\n",
    # accents and case
    "Crème brûlée Ångström naïve", "CRÈME BRÛLÉE ÅNGSTRÖM NAÏVE", "Cafe\u0301 vs Café (decomposed vs precomposed)",
    "İstanbul ıi İI", "ΣΑΣ σας Σ", "straße STRASSE ẞ", "ﬁ ﬂ ﬃ Ǆ ǅ ǆ", "Ω Å K (signs) µ",
    "Tiếng Việt có dấu: Hà Nội, Đà Nẵng", "a\u0300\u0301\u0302\u0303 x\u0489 y\u20dd",
    # CJK and other scripts
    "日本語のテキスト 中文", "中文字符和English混合123", "한국어 텍스트입니다", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３！",
    "𠀀𠀁 𪜀 𫝀 𫠠 𬺰 𰀀 丽", "Привет, мир!", "Ελληνικά κείμενα", "مرحبا بالعالم ١٢٣", "नमस्ते दुनिया १२३",
    "สวัสดีชาวโลก ๑๒๓", "שלום עולם", "ქართული ენა", "ئۇيغۇرچە", "ᠮᠣᠩᠭᠣᠯ", "ꦗꦮ", "ᏣᎳᎩ",
    # emoji
    "I ❤️ NY 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇯🇵🇺🇸 🧑🏿‍💻", "🥲🫠🪿", "a😀b😀😀c", "#️⃣ *️⃣ 1️⃣",
    # numbers
    "1234567.89 3.14e-10 1,000,000", "Call 555-1234 or +1 (800) 555-0199.", "٣٤٥ ४५६ ๓๔๕ ௧௨",
    "Ⅻ ½ ² ³ ① ⑳ 𝟙𝟚", "0x1F600 0b1010 1e9 -42 +7 3/4 2nd 21st", "year2024 v1.2.3 abc123def456",
    # whitespace
    "a  b   c    d", "a\n\nb\n\n\nc", "a\tb\t\tc", "   leading", "trailing   ", "  \n  \t x",
    "\r\n windows\r\nline", "\u00a0nbsp\u00a0\u00a0x", "\u3000ideographic\u3000space", "\u2003em\u2009thin\u200ahair",
    "\u0085nel\u2028ls\u2029ps", "\x0b\x0c vt ff \x1c\x1d\x1e\x1f", "x " + " " * 40 + "y", "\n" * 12 + "z",
    # long words
    "a" * 101, "x" * 150, "supercalifragilistic" * 6, "b" * 250, "antidisestablishmentarianism" * 8,
    "https://example.com/" + "path/" * 30 + "?q=1&r=2#frag", "ab" * 60 + " cd",
    # control and invisible characters
    "a\x00b", "a\x01b\x02c\x7f", "\x80\x9f latin1 controls", "zero\u200bwidth\u200cnon\u200djoiner",
    "bom\ufeffx", "rep\ufffdlacement", "soft\u00adhyphen", "\u202eRTL override\u202c",
    "x\U000e0001y\U000e0067", "private\ue000use\U000f0000", "unassigned\u0378\U0001fbffx",
    # contractions and quotes
    "don't I'll we've", "DON'T I'LL WE'VE", "she's they're I'm you'd", "'s 't 're 've 'm 'll 'd",
    "rock 'n' roll", "it''s", "O'Neil's", "’s curly’s", "'''", "a's's's",
    # code and markup
    "def f(x):\n    return x**2  # square\n", "for (int i = 0; i < n; ++i) { a[i] += 1; }",
    "{\"key\": [1, 2.5, null]}", "<html><body>Hi &amp; bye</body></html>", "$$\\frac{a}{b}$$",
    "snake_case camelCase PascalCase kebab-case SCREAMING_CASE",
    # punctuation
    "Hello!!! What??? ...", "—–-‐ “quotes” ‘single’ «guillemets» „low“", "¡Hola! ¿Qué tal?",
    "a/b\\c|d", "100% @user #tag ~tilde ^caret `tick`", "...!?!?,,,;;;::", "§ ¶ † ‡ • ‰ ′ ″ ‹ ›",
    # special-token strings inside text
    "<|endoftext|>", "Hello<|endoftext|>world", "<|endoftext|><|endoftext|>", " <|endoftext|> x",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n", "<|im_start|", "<|im_end|>>",
    "<repo_name>x<filename>y.py<file_sep>", "[CLS] hello [SEP] world [MASK] [PAD] [UNK]",
    "[cls] lower [Sep]", "x[SEP]y[CLS]", "<|endoftext|>[SEP]<|im_start|>",
]


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def window(rng, line):
    """A random piece of a line: short, medium or long, starting anywhere."""
    r = rng.random()
    n = rng.randint(3, 80) if r < 0.4 else rng.randint(80, 400) if r < 0.85 else rng.randint(400, 1200)
    if len(line) <= n:
        return line
    start = rng.randint(0, len(line) - n)
    if rng.random() < 0.5:  # start at a word
        sp = line.find(" ", start)
        start = sp + 1 if 0 <= sp < len(line) - n else start
    return line[start:start + n]


def corpus_texts(rng):
    texts = []
    plan = [("text/kjv-train.txt", 36), ("text/kjv-valid.txt", 10), ("text/news-train.txt", 30),
            ("text/wiki-train.txt", 44), ("text/wiki-valid.txt", 20), ("labelled/lee50-docs.txt", 16)]
    for rel, count in plan:
        lines = read_lines(os.path.join(SHARED, "data", rel))
        for _ in range(count):
            i = rng.randrange(len(lines))
            if rng.random() < 0.15 and i + 2 < len(lines):  # a few lines joined, like paragraphs
                sep = rng.choice(["\n", "\n\n", " \n"])
                texts.append(sep.join(window(rng, l)[:300] for l in lines[i:i + rng.randint(2, 3)]))
            else:
                texts.append(window(rng, lines[i]))
    sentiment = [l.split("\t", 1)[1] for l in read_lines(os.path.join(SHARED, "data", "labelled", "sentiment-pang-lee.tsv"))[1:]]
    texts += rng.sample(sentiment, 30)
    for rel in ["labelled/simlex999.tsv", "labelled/wordsim353.tsv"]:
        rows = [l for l in read_lines(os.path.join(SHARED, "data", rel)) if not l.startswith("#")]
        texts += [" ".join(r.split("\t")[:2]) for r in rng.sample(rows, 8)]
    return texts


def sweep_texts(rng, count=8, length=260):
    """Random code points from all planes (weighted towards assigned ones) with random spacing:
    exercises every character class the tokenizers look at."""
    out = []
    for _ in range(count):
        chars = []
        while len(chars) < length:
            r = rng.random()
            if r < 0.55:
                c = rng.randint(0x20, 0xFFFF)
            elif r < 0.8:
                c = rng.randint(0x10000, 0x1FFFF)
            elif r < 0.92:
                c = rng.randint(0x20000, 0x3FFFF)
            else:
                c = rng.randint(0x40000, 0x10FFFF)
            if 0xD800 <= c <= 0xDFFF:
                continue
            chars.append(chr(c))
            if rng.random() < 0.25:
                chars.append(rng.choice([" ", " ", "  ", "\n", "\t", "\u00a0", "'s", "1", "a"]))
        out.append("".join(chars))
    return out


def all_texts():
    rng = random.Random(SEED)
    return HARD_CASES + corpus_texts(rng) + sweep_texts(rng)


# ---------------------------------------------------------------------------------------------
# Reference tokenizers

def bert_reference():
    tok = Tokenizer.from_file(os.path.join(BERT_DIR, "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


def gpt2_reference():
    return Tokenizer.from_file(os.path.join(GPT2_DIR, "tokenizer.json"))


def smollm2_gguf_tokenizer_data():
    from gguf import GGUFReader
    r = GGUFReader(SMOL_GGUF)

    def strings(k):
        f = r.fields[k]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    def ints(k):
        f = r.fields[k]
        return [int(f.parts[i][0]) for i in f.data]

    model = bytes(r.fields["tokenizer.ggml.model"].parts[-1]).decode()
    pre = bytes(r.fields["tokenizer.ggml.pre"].parts[-1]).decode()
    assert (model, pre) == ("gpt2", "smollm"), (model, pre)
    return strings("tokenizer.ggml.tokens"), ints("tokenizer.ggml.token_type"), strings("tokenizer.ggml.merges")


def smollm2_reference():
    tokens, types, merges = smollm2_gguf_tokenizer_data()
    vocab = {t: i for i, t in enumerate(tokens)}
    assert len(vocab) == len(tokens), "duplicate tokens in the GGUF vocabulary"
    pairs = []
    for m in merges:  # llama.cpp splits a merge at the first space after its first character
        k = m.index(" ", 1)
        pairs.append((m[:k], m[k + 1:]))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                            for i, t in enumerate(types) if t == 3])
    return tok


# ---------------------------------------------------------------------------------------------
# Fixtures

def ids_without_special_parsing(tok, text):
    tok.encode_special_tokens = True
    try:
        return tok.encode(text).ids
    finally:
        tok.encode_special_tokens = False


def contains_special(tok, text):
    return any(t.special and t.content in text for t in tok.get_added_tokens_decoder().values())


def write_fixture(name, header, sections):
    """One JSON object; each list item on its own line so diffs stay readable."""
    path = os.path.join(FIXTURES, name)
    parts = [json.dumps(header, separators=(",", ":"))[:-1]]
    for key, items in sections:
        body = ",\n".join(json.dumps(x, separators=(",", ":")) for x in items)
        parts.append(f',\n"{key}":[\n{body}\n]')
    with open(path, "w", encoding="ascii") as f:
        f.write("".join(parts) + "}\n")
    print(f"{name}: {os.path.getsize(path) / 1024:.0f} KB")


def make_bpe_fixture(name, tok, texts, model_desc):
    cases = []
    for t in texts:
        ids = tok.encode(t).ids
        case = {"text": t, "ids": ids}
        back = tok.decode(ids, skip_special_tokens=False)
        if back != t:  # the vocabulary lacks some byte (SmolLM2 has no token for 0x04, 0x1D, 0xF1, ...)
            case["decoded"] = back
        if contains_special(tok, t):
            case["ids_no_special"] = ids_without_special_parsing(tok, t)
        cases.append(case)
    header = {"about": f"Hugging Face tokenizers {tokenizers.__version__} reference ids for {model_desc}; "
                       "made by scripts/make_tokenizer_fixtures.py", "tokenizers": tokenizers.__version__}
    write_fixture(name, header, [("cases", cases)])
    return cases


def make_bert_fixture(texts):
    tok = bert_reference()
    cases = []
    for t in texts:
        e = tok.encode(t)
        case = {"text": t, "ids": e.ids}
        tok.enable_truncation(16)
        case["ids16"] = tok.encode(t).ids
        tok.enable_truncation(128)
        e128 = tok.encode(t).ids
        tok.no_truncation()
        if e128 != e.ids:
            case["ids128"] = e128
        if contains_special(tok, t):
            case["ids_no_special"] = ids_without_special_parsing(tok, t)
        case["decoded"] = tok.decode(e.ids, skip_special_tokens=True)
        cases.append(case)

    rng = random.Random(SEED + 1)
    corpus = [t for t in texts[len(HARD_CASES):] if t]
    pairs = [("", ""), ("", "hello world"), ("Hello, world!", ""), ("[SEP]", "a [CLS] b")]
    pairs += [(rng.choice(texts), rng.choice(texts)) for _ in range(6)]
    pairs += [(rng.choice(corpus), rng.choice(corpus)) for _ in range(30)]
    pair_cases = []
    for a, b in pairs:
        case = {"a": a, "b": b}
        for suffix, limit in [("", None), ("16", 16), ("128", 128)]:
            if limit is None:
                tok.no_truncation()
            else:
                tok.enable_truncation(limit)
            e = tok.encode(a, b)
            case["ids" + suffix] = e.ids
            case["type_ids" + suffix] = e.type_ids
        tok.no_truncation()
        pair_cases.append(case)

    batch_texts = ["Hello, world!", "", "A somewhat longer sentence, with punctuation and numbers 12345.",
                   "日本語", "[CLS] literal specials [SEP]"]
    tok.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")
    batch = [{"text": t, "ids": e.ids, "attention_mask": e.attention_mask, "type_ids": e.type_ids}
             for t, e in zip(batch_texts, tok.encode_batch(batch_texts))]
    tok.no_padding()

    header = {"about": f"Hugging Face tokenizers {tokenizers.__version__} reference for all-MiniLM-L6-v2 "
                       "(tokenizer.json, padding and truncation off unless named: ids16/ids128 = "
                       "enable_truncation(16/128), longest-first); made by scripts/make_tokenizer_fixtures.py",
              "tokenizers": tokenizers.__version__}
    write_fixture("bert_minilm.json", header, [("cases", cases), ("pairs", pair_cases), ("batch", batch)])


def cross_check_llama_cpp(texts):
    try:
        from llama_cpp import Llama
    except ImportError:
        print("llama-cpp-python is not installed; skipping the llama.cpp cross-check")
        return
    llm = Llama(model_path=SMOL_GGUF, vocab_only=True, verbose=False)
    tok = smollm2_reference()
    bad = 0
    for t in texts:
        ref = tok.encode(t).ids
        got = llm.tokenize(t.encode("utf-8"), add_bos=False, special=True)
        if ref != got:
            bad += 1
            print(f"llama.cpp differs on {t[:60]!r}: hf {ref[:12]}... llama.cpp {got[:12]}...")
    print(f"llama.cpp cross-check: {len(texts) - bad}/{len(texts)} texts agree with the HF reference")


# ---------------------------------------------------------------------------------------------
# Unicode tables

def probe_tables():
    """Each class as sorted disjoint [lo, hi] ranges, probed through `tokenizers` itself."""
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    cjk = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    bert = pre_tokenizers.BertPreTokenizer()
    regex = {k: pre_tokenizers.Split(Regex(p), "removed") for k, p in
             [("s", r"\s"), ("L", r"\p{L}"), ("N", r"\p{N}")]}
    digits = pre_tokenizers.Digits(individual_digits=True)
    classes = {k: [] for k in ["cleanTextRemoves", "cleanTextSpaces", "chineseCharacters", "strippedAccents",
                               "bertWhitespace", "bertPunctuation", "regexWhitespace", "regexLetters",
                               "regexNumbers", "numeric"]}

    def add(name, c):
        r = classes[name]
        if r and r[-1][1] == c - 1:
            r[-1][1] = c
        else:
            r.append([c, c])

    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        x = clean.normalize_str("x" + ch + "x")
        if x == "xx":
            add("cleanTextRemoves", c)
        elif x == "x x":
            add("cleanTextSpaces", c)
        elif x != "x" + ch + "x":
            raise SystemExit(f"unexpected clean_text result for U+{c:04X}: {x!r}")
        if cjk.normalize_str(ch) == " " + ch + " ":
            add("chineseCharacters", c)
        if strip.normalize_str(ch) == "":
            add("strippedAccents", c)
        n = len(bert.pre_tokenize_str("x" + ch + "x"))
        if n == 2:
            add("bertWhitespace", c)
        elif n == 3:
            add("bertPunctuation", c)
        for k, name in [("s", "regexWhitespace"), ("L", "regexLetters"), ("N", "regexNumbers")]:
            if not regex[k].pre_tokenize_str(ch):
                add(name, c)
        if len(digits.pre_tokenize_str("x" + ch + "x")) == 3:
            add("numeric", c)
    return classes


TABLE_DOCS = {
    "cleanTextRemoves": "Removed by `BertNormalizer` clean_text (U+0000, U+FFFD, and HF's \"control\": Cc, Cf, Co, Cs but not Cn; tab, LF, CR excepted).",
    "cleanTextSpaces": "Replaced by U+0020 by `BertNormalizer` clean_text (whitespace that is not removed as a control, U+0020 included).",
    "chineseCharacters": "Surrounded by spaces by `BertNormalizer` handle_chinese_chars (fixed CJK ranges in HF's source).",
    "strippedAccents": "Dropped after NFD by `BertNormalizer` strip_accents (HF's nonspacing-mark table).",
    "bertWhitespace": "Split on and removed by `BertPreTokenizer` (Rust `char::is_whitespace`).",
    "bertPunctuation": "Isolated by `BertPreTokenizer` (ASCII punctuation and HF's Unicode P* table).",
    "regexWhitespace": "`\\s` of the byte-level pre-tokenizer's regex (Oniguruma).",
    "regexLetters": "`\\p{L}` of the byte-level pre-tokenizer's regex (Oniguruma).",
    "regexNumbers": "`\\p{N}` of the byte-level pre-tokenizer's regex (Oniguruma).",
    "numeric": "Split off by the `Digits` pre-tokenizer (Rust `char::is_numeric`).",
}


def write_tables():
    classes = probe_tables()
    lines = [
        f"// Generated by `python3 scripts/make_tokenizer_fixtures.py --tables` from Hugging Face",
        f"// tokenizers {tokenizers.__version__}, probing every Unicode scalar. Do not edit by hand.",
        "",
        "/// Character classes exactly as Hugging Face `tokenizers` applies them, as sorted disjoint",
        "/// closed ranges. Tables rather than `Unicode.Scalar.Properties` because the reference's Rust",
        "/// crates and Oniguruma carry other Unicode versions than the Swift standard library: with",
        "/// tables the ids do not depend on the toolchain. See `HFCharacterClass` for how they are used.",
        "enum HFCharacterTables {",
    ]
    for name, ranges in classes.items():
        lines.append(f"    /// {TABLE_DOCS[name]}")
        lines.append(f"    /// {len(ranges)} ranges.")
        lines.append(f"    static let {name} = ScalarRangeSet([")
        flat = [f"0x{v:X}" for r in ranges for v in r]
        for k in range(0, len(flat), 12):
            lines.append("        " + ", ".join(flat[k:k + 12]) + ",")
        lines.append("    ])")
    lines.append("}")
    with open(TABLES, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {TABLES}: " + ", ".join(f"{k} {len(v)}" for k, v in classes.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", action="store_true", help="regenerate the Unicode tables instead of the fixtures")
    ap.add_argument("--llama-cpp", action="store_true", help="cross-check the SmolLM2 reference against llama.cpp")
    args = ap.parse_args()
    if args.tables:
        write_tables()
        return
    for p in [BERT_DIR, SMOL_GGUF, GPT2_DIR]:
        if not os.path.exists(p):
            sys.exit(f"missing {p}: run `bash scripts/fetch-models.sh` and keep ../shared beside the repository")
    os.makedirs(FIXTURES, exist_ok=True)
    texts = all_texts()
    print(f"{len(texts)} texts ({len(HARD_CASES)} hand-picked)")
    make_bert_fixture(texts)
    make_bpe_fixture("gpt2_kjvwiki.json", gpt2_reference(), texts, "gpt2-kjvwiki-6l (tokenizer.json)")
    make_bpe_fixture("smollm2.json", smollm2_reference(), texts,
                     "SmolLM2-135M-Instruct (GGUF metadata; Digits + ByteLevel pre-tokenizer)")
    if args.llama_cpp:
        cross_check_llama_cpp(texts)


if __name__ == "__main__":
    main()
