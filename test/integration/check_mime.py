#!/usr/bin/env python3
"""Judges messages built by cfmail::mime::message with Python's own email parser.

Usage: check_mime.py DIR

DIR holds pairs NAME.eml (the message as built) and NAME.json (what it was built from):
  {"headers": {"From": [[name or null, address]], "To": [...], "Cc": [...], "Reply-To": [...],
               "Subject": "..."},
   "absent": ["Bcc", ...],
   "python_spaces_encoded_words": true (optional; see below),
   "structure": "multipart/mixed(multipart/alternative(text/plain,text/html),application/pdf)",
   "leaves": [{"text": hex of the UTF-8 given} or {"bytes": hex},
              "filename": "..." or null, "content_id": "..." or null}, ...]}

Every message must parse without a defect (message, parts, header values), its headers must
decode to the exact Unicode given, each leaf must decode to the exact bytes given (text in
canonical form: CRLF line ends, and a final line break when not empty), file names exactly.
Prints one line per message; exits 1 when any fails.
"""

import email
import email.policy
import json
import pathlib
import sys


def canonical_text(raw: bytes) -> bytes:
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if text and not text.endswith(b"\r\n"):
        text += b"\r\n"
    return text


def structure(part) -> str:
    if part.is_multipart():
        return "%s(%s)" % (part.get_content_type(),
                           ",".join(structure(p) for p in part.iter_parts()))
    return part.get_content_type()


def leaves(part):
    if part.is_multipart():
        for p in part.iter_parts():
            yield from leaves(p)
    else:
        yield part


def defects_of(msg):
    found = []
    for part in msg.walk():
        found += [("part", d) for d in part.defects]
        for name, value in part.items():
            found += [(name, d) for d in getattr(value, "defects", ())]
    return found


def check(eml: pathlib.Path, spec: dict) -> list:
    raw = eml.read_bytes()
    problems = []
    if b"\r\n" not in raw or raw.replace(b"\r\n", b"").find(b"\n") >= 0 or b"\r" in raw.replace(
            b"\r\n", b""):
        problems.append("line ends other than CRLF")
    if any(len(line) > 998 for line in raw.split(b"\r\n")):
        problems.append("a line over 998 octets")
    if any(b >= 0x80 for b in raw):
        problems.append("a byte outside ASCII")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    problems += ["defect in %s: %r" % d for d in defects_of(msg)]

    for name, want in spec.get("headers", {}).items():
        got = msg[name]
        if got is None:
            problems.append("%s missing" % name)
        elif isinstance(want, str):
            if str(got) != want:
                problems.append("%s is %r, not %r" % (name, str(got), want))
        else:
            have = [[a.display_name or None, a.addr_spec] for a in got.addresses]
            if spec.get("python_spaces_encoded_words"):
                # Python's phrase parser puts a space between adjacent encoded words, where
                # RFC 2047 6.2 drops the white space: a name too long for one word is compared
                # without spaces.
                have = [[n and "".join(n.split()), a] for n, a in have]
                want = [[n and "".join(n.split()), a] for n, a in want]
            if have != want:
                problems.append("%s is %r, not %r" % (name, have, want))
    for name in spec.get("absent", []):
        if msg[name] is not None:
            problems.append("%s present" % name)

    if "structure" in spec and structure(msg) != spec["structure"]:
        problems.append("structure %s, not %s" % (structure(msg), spec["structure"]))
    got_leaves = list(leaves(msg))
    want_leaves = spec.get("leaves", [])
    if len(got_leaves) != len(want_leaves):
        problems.append("%d leaves, not %d" % (len(got_leaves), len(want_leaves)))
    for i, (part, want) in enumerate(zip(got_leaves, want_leaves)):
        data = part.get_payload(decode=True)
        if "text" in want:
            expected = canonical_text(bytes.fromhex(want["text"]))
            try:
                if part.get_content() != expected.decode("utf-8"):
                    problems.append("leaf %d: text differs" % i)
            except Exception as e:  # noqa: BLE001 - any failure to decode is the finding
                problems.append("leaf %d: get_content failed: %r" % (i, e))
        else:
            expected = bytes.fromhex(want["bytes"])
        if data != expected:
            problems.append("leaf %d: %d bytes differ from the %d given (%r...)" %
                            (i, len(data or b""), len(expected), (data or b"")[:40]))
        if want.get("filename") != part.get_filename():
            problems.append("leaf %d: filename %r, not %r" %
                            (i, part.get_filename(), want.get("filename")))
        if want.get("content_id") is not None:
            cid = part.get("Content-ID")
            if cid is None or str(cid).strip() != "<%s>" % want["content_id"]:
                problems.append("leaf %d: Content-ID %r" % (i, cid and str(cid)))
    return problems


def main() -> int:
    folder = pathlib.Path(sys.argv[1])
    failed = 0
    cases = sorted(folder.glob("*.eml"))
    for eml in cases:
        spec = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
        problems = check(eml, spec)
        if problems:
            failed += 1
            print("FAIL %s: %s" % (eml.stem, "; ".join(problems)))
        else:
            print("ok %s" % eml.stem)
    print("%d of %d messages read back exactly" % (len(cases) - failed, len(cases)))
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
