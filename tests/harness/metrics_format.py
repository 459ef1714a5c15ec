"""A checker for the Prometheus text exposition format (version 0.0.4), following
https://prometheus.io/docs/instrumenting/exposition_formats/: enough to tell a developer without
promtool what is wrong with pfd's GET /metrics, and to read its samples in tests."""
import math
import re
from typing import Dict, List, Tuple

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
SAMPLE = re.compile(rf"^(?P<name>{NAME})(?:\{{(?P<labels>.*)\}})? (?P<value>\S+)(?: -?\d+)?$")
LABEL = re.compile(rf'\s*(?P<name>{LABEL_NAME})="(?P<value>(?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}

Labels = Tuple[Tuple[str, str], ...]


class FormatError(AssertionError):
    pass


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def _labels(text: str, line: str) -> Labels:
    labels = []
    position = 0
    while position < len(text):
        match = LABEL.match(text, position)
        if not match or match.end() == position:
            raise FormatError(f"bad labels in: {line}")
        labels.append((match.group("name"), _unescape(match.group("value"))))
        position = match.end()
    names = [name for name, _ in labels]
    if len(set(names)) != len(names):
        raise FormatError(f"a label repeats in: {line}")
    return tuple(labels)


def _value(text: str, line: str) -> float:
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    try:
        return float(text)
    except ValueError:
        raise FormatError(f"bad value {text!r} in: {line}") from None


def _family_of(name: str, types: Dict[str, str]) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return name


def parse(text: str) -> Dict[Tuple[str, Labels], float]:
    """The samples of `text`, {(name, ((label, value), ...)): value}; FormatError when it breaks
    the format: a sample before its family's TYPE, a family split by another, a TYPE or HELP
    given twice, a series given twice, a histogram without +Inf or with decreasing buckets."""
    if text and not text.endswith("\n"):
        raise FormatError("the last line does not end with a newline")
    types: Dict[str, str] = {}
    helped = set()
    finished = set()
    current = None
    samples: Dict[Tuple[str, Labels], float] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not re.fullmatch(NAME, name):
                    raise FormatError(f"bad metric name in: {line}")
                if parts[1] == "TYPE":
                    kind = parts[3] if len(parts) > 3 else ""
                    if kind not in TYPES:
                        raise FormatError(f"unknown type in: {line}")
                    if name in types:
                        raise FormatError(f"a second TYPE for {name}")
                    types[name] = kind
                else:
                    if name in helped:
                        raise FormatError(f"a second HELP for {name}")
                    helped.add(name)
                if current != name:
                    if name in finished:
                        raise FormatError(f"family {name} is split")
                    if current is not None:
                        finished.add(current)
                    current = name
            continue
        match = SAMPLE.match(line)
        if not match:
            raise FormatError(f"not a sample: {line}")
        name = match.group("name")
        family = _family_of(name, types)
        if family not in types:
            raise FormatError(f"sample before its TYPE line: {line}")
        if family != current:
            raise FormatError(f"sample of {family} outside its family: {line}")
        key = (name, _labels(match.group("labels") or "", line))
        if key in samples:
            raise FormatError(f"series given twice: {line}")
        samples[key] = _value(match.group("value"), line)
    _check_histograms(samples, types)
    return samples


def _check_histograms(samples, types) -> None:
    for family, kind in types.items():
        if kind != "histogram":
            continue
        series: Dict[Labels, List[Tuple[float, float]]] = {}
        for (name, labels), value in samples.items():
            if name != family + "_bucket":
                continue
            rest = tuple(label for label in labels if label[0] != "le")
            le = dict(labels).get("le")
            if le is None:
                raise FormatError(f"a bucket of {family} has no le label")
            series.setdefault(rest, []).append((_value(le, le), value))
        for rest, buckets in series.items():
            buckets.sort()
            if not buckets or not math.isinf(buckets[-1][0]):
                raise FormatError(f"{family}{dict(rest)} has no le=\"+Inf\" bucket")
            counts = [count for _, count in buckets]
            if counts != sorted(counts):
                raise FormatError(f"{family}{dict(rest)}: buckets are not cumulative")
            if samples.get((family + "_count", rest)) != counts[-1]:
                raise FormatError(f"{family}{dict(rest)}: _count is not the +Inf bucket")
            if (family + "_sum", rest) not in samples:
                raise FormatError(f"{family}{dict(rest)} has no _sum")


def value(samples, name: str, **labels: str) -> float:
    """The sample `name` whose labels are exactly `labels`; KeyError when there is none."""
    for (sample_name, sample_labels), sample_value in samples.items():
        if sample_name == name and dict(sample_labels) == labels:
            return sample_value
    raise KeyError(f"no sample {name}{labels}")
