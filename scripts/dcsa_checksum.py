#!/usr/bin/env python3
"""The DCSA document checksum of a JSON file, computed independently of the Rust code.

    python3 scripts/dcsa_checksum.py ledger/tests/fixtures/dcsa/regularSTDExample.json

prints the lower-case hex SHA-256 of the RFC 8785 (JSON Canonicalization Scheme) form of the
document, the checksum DCSA eBL 3.0 asks for. Standard library only; nothing here shares
code with `ebl_ledger::checksum` (which uses serde_json + serde_jcs):

* objects: members sorted by their names as arrays of UTF-16 code units (RFC 8785 §3.2.3);
* strings: RFC 8785 §3.2.2.2 escaping — only `"`, `\\` and the controls U+0000..U+001F are
  escaped (`\\b \\t \\n \\f \\r` in short form, others as `\\u00xx`, lower-case hex); every other
  character is written as itself in UTF-8. `json.dumps(s, ensure_ascii=False)` does exactly that;
* numbers: parsed as IEEE-754 doubles and written as ECMAScript `Number.prototype.toString`
  (RFC 8785 §3.2.2.3), implemented below from the shortest round-trip digits of `repr`;
* literals `true`, `false`, `null`; no white space anywhere.

`--self-test` checks the number formatting and the key ordering against the examples printed
in RFC 8785 before anything is trusted.
"""

import decimal
import hashlib
import json
import math
import sys


def es_number(value: float) -> str:
    """ECMAScript Number.prototype.toString of a finite double (RFC 8785 §3.2.2.3)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("NaN and Infinity are not JSON")
    if value == 0:
        return "0"  # also -0
    if value < 0:
        return "-" + es_number(-value)
    # repr gives the shortest digit string that round-trips: the `s` of ES's algorithm.
    _, digit_tuple, exponent = decimal.Decimal(repr(value)).as_tuple()
    all_digits = "".join(map(str, digit_tuple))
    significant = all_digits.rstrip("0")
    exponent += len(all_digits) - len(significant)  # "12000.0" → s = 12, exponent 3
    digits = significant.lstrip("0")
    # value = s × 10^(n−k), k = number of digits of s.
    k = len(digits)
    n = k + exponent
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    mant = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mant}e{sign}{abs(e)}"


def number(value) -> str:
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    # I-JSON / RFC 8785: every number is a double; a JSON integer is read as one too.
    return es_number(float(value))


def utf16_key(name: str) -> bytes:
    # Big-endian UTF-16 bytes compare like the sequence of code units.
    return name.encode("utf-16-be", "surrogatepass")


def canonical(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        members = sorted(value.items(), key=lambda kv: utf16_key(kv[0]))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(v) for k, v in members) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def reject_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError(f"duplicate member name {k!r}")
        seen[k] = v
    return seen


def numbers_in(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from numbers_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from numbers_in(v)


def self_test():
    # RFC 8785 §3.2.2.3 table and Appendix B samples (IEEE-754 hex → expected text).
    samples = {
        "0000000000000000": "0",
        "8000000000000000": "0",
        "0000000000000001": "5e-324",
        "8000000000000001": "-5e-324",
        "7fefffffffffffff": "1.7976931348623157e+308",
        "ffefffffffffffff": "-1.7976931348623157e+308",
        "4340000000000000": "9007199254740992",
        "c340000000000000": "-9007199254740992",
        "4430000000000000": "295147905179352830000",
        "44b52d02c7e14af5": "9.999999999999997e+22",
        "44b52d02c7e14af6": "1e+23",
        "44b52d02c7e14af7": "1.0000000000000001e+23",
        "444b1ae4d6e2ef4e": "999999999999999700000",
        "444b1ae4d6e2ef4f": "999999999999999900000",
        "444b1ae4d6e2ef50": "1e+21",
        "3eb0c6f7a0b5ed8c": "9.999999999999997e-7",
        "3eb0c6f7a0b5ed8d": "0.000001",
        "41b3de4355555553": "333333333.3333332",
        "41b3de4355555554": "333333333.33333325",
        "41b3de4355555555": "333333333.3333333",
        "41b3de4355555556": "333333333.3333334",
        "41b3de4355555557": "333333333.33333343",
        "becbf647612f3696": "-0.0000033333333333333333",
        "43143ff3c1cb0959": "1424953923781206.2",
    }
    import struct

    for bits, expected in samples.items():
        value = struct.unpack(">d", bytes.fromhex(bits))[0]
        got = es_number(value)
        assert got == expected, f"{bits}: {got} != {expected}"
    # RFC 8785 §3.2.2.3 example and §3.2.3 sorting example.
    doc = json.loads('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
                     ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
                     ' "literals": [null, true, false]}')
    assert canonical(doc) == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    ), canonical(doc)
    sort = json.loads('{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",'
                      ' "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",'
                      ' "\\u00f6": "Latin Small Letter O With Diaeresis"}')
    order = [v for _, v in sorted(sort.items(), key=lambda kv: utf16_key(kv[0]))]
    assert order == ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign",
                     "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"], order
    print("self-test passed", file=sys.stderr)


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    self_test()
    with open(argv[1], encoding="utf-8") as f:
        document = json.load(f, object_pairs_hook=reject_duplicates)
    for n in numbers_in(document):
        # Exactness check: each number of the document must survive the double round trip.
        if isinstance(n, int) and (abs(n) > 2**53 or float(n) != n):
            raise ValueError(f"integer {n} is not exactly a double: its canonical form would differ")
        print(f"number {n!r} -> {number(n)}", file=sys.stderr)
    text = canonical(document)
    print(hashlib.sha256(text.encode("utf-8")).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
