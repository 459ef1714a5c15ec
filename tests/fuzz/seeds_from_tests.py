#!/usr/bin/env python3
"""Regenerates the seed corpora in tests/fuzz/corpus/ from the test cases that already exist.

Seeds are the string literals of the unit tests (adjacent literals joined, as the compiler joins
them), the example configs, and the lines of tests/e2e/fakekube/KUBECTL_OUTPUT.md. Each seed file is
named by the hash of its content, as libFuzzer names the inputs it adds, so a rerun adds nothing
twice. Run it after adding tests; it only adds files.
"""
import hashlib
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/fuzz/corpus"

LITERAL = re.compile(r'R"([^(\s]*)\((.*?)\)\1"|"((?:[^"\\\n]|\\.)*)"', re.S)
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", '"': '"', "\\": "\\", "'": "'"}


def unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "x":
            m = re.match(r"[0-9a-fA-F]+", text[i + 2:])
            out.append(chr(int(m.group(0), 16) & 0xFF))
            i += 2 + len(m.group(0))
        else:
            out.append(ESCAPES.get(nxt, nxt))
            i += 2
    return "".join(out)


def literals(path):
    """The string literals of a C++ file, adjacent ones joined."""
    source = path.read_text()
    joined, end = None, None
    for m in LITERAL.finditer(source):
        value = m.group(2) if m.group(2) is not None else unescape(m.group(3))
        if joined is not None and source[end:m.start()].strip() == "":
            joined += value
        else:
            if joined is not None:
                yield joined
            joined = value
        end = m.end()
    if joined is not None:
        yield joined


def write(target, seeds):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        data = seed if isinstance(seed, bytes) else seed.encode("latin-1", "replace")
        (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main():
    configs = [p.read_text() for p in sorted((ROOT / "config").glob("*.yaml"))]
    for test in sorted((ROOT / "tests/unit/config").glob("*_test.cc")):
        configs += [s for s in literals(test) if ":" in s and "\n" in s]
    write("config_loader_fuzzer", configs)

    kubectl_lines = []
    for test in sorted((ROOT / "tests/unit/core").glob("*kubectl_output*")):
        kubectl_lines += [s for s in literals(test) if " " in s]
    for line in (ROOT / "tests/e2e/fakekube/KUBECTL_OUTPUT.md").read_text().splitlines():
        m = re.match(r"\s*(?:\[std(?:out|err)\] )?((?:[IWEF]\d{4} |Forwarding|Handling|Unable|"
                     r"error|Error|The connection)\S*.*)$", line)
        if m:
            kubectl_lines.append(m.group(1).replace("<KLOG>", "E1124 20:01:28.531541   12217 "
                                                    "portforward.go:409]"))
    write("kubectl_output_fuzzer", kubectl_lines)

    # The fuzzer's first byte is the read size; 0 reads in one piece, 7 cuts every 7 bytes.
    responses = [s for s in literals(ROOT / "tests/unit/probe/http_wire_test.cc")
                 if s.startswith("HTTP/") or s.startswith("\x16")]
    # A head right at the 16 KiB cap; it also lifts libFuzzer's input size limit (4096 bytes, or
    # the largest seed) past the cap.
    responses.append("HTTP/1.1 200 OK\r\nX: " + "a" * (16 * 1024 - 20) + "\r\n\r\n")
    write("http_response_fuzzer",
          [prefix + r.encode("latin-1") for r in responses for prefix in (b"\0", b"\7")])

    listing = [s for s in literals(ROOT / "tests/unit/core/pod_listing_test.cc")
               if "\n" in s or "=" in s or " in " in s or s.startswith("!")]
    for test in sorted((ROOT / "tests/unit/core").glob("*.cc")):
        listing += [s for s in literals(test) if re.match(r"(ADDED|MODIFIED|DELETED) ", s)]
    write("pod_listing_fuzzer", listing)


if __name__ == "__main__":
    main()
