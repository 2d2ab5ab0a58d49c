#!/usr/bin/env python3
"""Standard-library helpers shared by the shell drivers (aws CLI, curl).

  util.py flatten-json        < JSON      -> "Path<TAB>value" lines
  util.py flatten-xml         < XML       -> "Path<TAB>value" lines (query protocol response)
  util.py flatten-query-json  < JSON      -> the same, from the JSON form of a query answer
  util.py query-body OP VERSION PARAMS_JSON -> x-www-form-urlencoded body
  util.py query-string OP VERSION PARAMS_JSON -> a canonical (sorted, RFC 3986) query string
  util.py kebab OP                         -> botocore's xform_name(OP, '-')
  util.py cli-args PARAMS_JSON             -> the aws CLI's options for them, NUL-separated

Flattening rules (identical in every driver, see README.md):
  nested keys are joined with '.', list items are numbered from 0
  (XML <member> elements become list items), booleans are "true"/"false",
  newlines in values are written as "\\n", ResponseMetadata is dropped
  except its RequestId, which is reported as the field RequestId.
"""
import json
import re
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def emit(path, value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    value = str(value).replace("\\", "\\\\").replace("\n", "\\n")
    sys.stdout.write("%s\t%s\n" % (path, value))


def flatten(prefix, obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("ResponseMetadata", "$metadata"):
                continue
            flatten(prefix + "." + k if prefix else k, v)
    elif isinstance(obj, list):
        if not obj:
            emit(prefix, "[]")
        for i, v in enumerate(obj):
            flatten("%s.%d" % (prefix, i), v)
    elif obj is None:
        return
    else:
        emit(prefix, obj)


def local(tag):
    return tag.split("}", 1)[-1]


def xml_to_obj(el):
    children = list(el)
    if not children:
        return el.text or ""
    if all(local(c.tag) == "member" for c in children):
        return [xml_to_obj(c) for c in children]
    return {local(c.tag): xml_to_obj(c) for c in children}


def flatten_xml(data):
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        emit("Error", "response is not XML (%s): %r" % (e, data[:300]))
        return
    if local(root.tag) == "ErrorResponse":
        err = None
        for c in root:
            if local(c.tag) == "Error":
                err = c
        if err is None:
            emit("Error", "ErrorResponse without Error: %r" % data[:300])
            return
        for c in err:
            emit(local(c.tag), c.text or "")
        for c in root:
            if local(c.tag) == "RequestId":
                emit("RequestId", c.text or "")
        return
    # <OpResponse><OpResult>...</OpResult><ResponseMetadata/></OpResponse>
    for c in root:
        if local(c.tag).endswith("Result"):
            flatten("", xml_to_obj(c))
        elif local(c.tag) == "ResponseMetadata":
            for m in c:
                if local(m.tag) == "RequestId":
                    emit("RequestId", m.text or "")


def flatten_query_json(data):
    """The JSON form of a query-protocol answer (Accept: application/json):
    {"OpResponse": {"OpResult": {...}, "ResponseMetadata": {"RequestId": ...}}} or
    {"Error": {"Code", "Message", "Type"}, "RequestId": ...}; flattened like the XML."""
    try:
        obj = json.loads(data)
    except ValueError as e:
        emit("Error", "response is not JSON (%s): %r" % (e, data[:300]))
        return
    if not isinstance(obj, dict) or len(obj) == 0:
        emit("Error", "unexpected JSON: %r" % data[:300])
        return
    if "Error" in obj:
        for k, v in obj["Error"].items():
            emit(k, v)
        if "RequestId" in obj:
            emit("RequestId", obj["RequestId"])
        return
    (name, body), = obj.items()
    for k, v in body.items():
        if k.endswith("Result"):
            flatten("", v)
        elif k == "ResponseMetadata":
            emit("RequestId", v.get("RequestId", ""))


def query_params(prefix, obj, out):
    """Flatten like the query protocol: lists -> Name.member.N (1-based)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            query_params(prefix + "." + k if prefix else k, v, out)
    elif isinstance(obj, list):
        for i, v in enumerate(obj, 1):
            query_params("%s.member.%d" % (prefix, i), v, out)
    elif isinstance(obj, bool):
        out.append((prefix, "true" if obj else "false"))
    else:
        out.append((prefix, str(obj)))


_first_cap = re.compile(r"(.)([A-Z][a-z]+)")
_end_cap = re.compile(r"([a-z0-9])([A-Z])")


def kebab(name):
    s = _first_cap.sub(r"\1-\2", name)
    return _end_cap.sub(r"\1-\2", s).lower()


def main(argv):
    cmd = argv[1]
    if cmd == "flatten-json":
        data = sys.stdin.read()
        if data.strip():
            flatten("", json.loads(data))
    elif cmd == "flatten-xml":
        flatten_xml(sys.stdin.read())
    elif cmd == "flatten-query-json":
        flatten_query_json(sys.stdin.read())
    elif cmd in ("query-body", "query-string"):
        op, version, params = argv[2], argv[3], json.loads(argv[4] or "{}")
        out = [("Action", op), ("Version", version)]
        query_params("", params, out)
        if cmd == "query-string":
            # For a URL that curl signs: curl < 8.1 puts the query into the canonical
            # request as it is, so send it the way SigV4 canonicalises it: RFC 3986
            # encoding (only A-Za-z0-9-_.~ bare), sorted by name then value.
            enc = [(urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~")) for k, v in out]
            sys.stdout.write("&".join("%s=%s" % kv for kv in sorted(enc)))
        else:
            sys.stdout.write(urllib.parse.urlencode(out, quote_via=urllib.parse.quote))
    elif cmd == "cli-args":
        # As a person types them: --user-name alice, --tags '[{"Key": ...}]' (JSON for
        # lists and structures), --flag / --no-flag for booleans.
        out = []
        for k, v in json.loads(argv[2] or "{}").items():
            opt = "--" + kebab(k)
            if isinstance(v, bool):
                out.append(opt if v else "--no-" + kebab(k))
            elif isinstance(v, (dict, list)):
                out += [opt, json.dumps(v)]
            else:
                out += [opt, str(v)]
        sys.stdout.write("".join(a + "\0" for a in out))
    elif cmd == "kebab":
        sys.stdout.write(kebab(argv[2]))
    else:
        sys.exit("util.py: unknown command %s" % cmd)


if __name__ == "__main__":
    main(sys.argv)
