/**
 * A Python script (run by Debian's python3: `python3 -c MAKE_WHEEL <dir> <name> <version> <mode> [deps…]`)
 * that writes a wheel with Python's own zipfile: a package, a console entry point, a `.data/scripts`
 * script with the `#!python` placeholder, a `.data/data` file and a RECORD with real hashes. `mode` is `ok`,
 * `tamper` (a member changed after RECORD was written) or `unsafe` (a member named with `../`). Prints the path.
 *
 * A pure `py3-none-any` wheel unless the environment says otherwise: `WHEEL_TAG` is the wheel's (compressed)
 * tag set, e.g. `cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64` (its file name, one `Tag:` line of
 * WHEEL per tag, `Root-Is-Purelib: false` unless every tag is `-none-any`), and `WHEEL_MEMBERS` a JSON object
 * of member names and the files whose bytes they hold (a compiled extension, a package's own `__init__.py`),
 * added to the members above or replacing them.
 */
export const MAKE_WHEEL = String.raw`
import base64, hashlib, json, os, sys, zipfile
out, name, version, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
deps = sys.argv[5:]
tag = os.environ.get("WHEEL_TAG", "py3-none-any")
py, abi, plat = tag.split("-")
tags = [f"{a}-{b}-{c}" for a in py.split(".") for b in abi.split(".") for c in plat.split(".")]
purelib = "true" if all(t.endswith("-none-any") for t in tags) else "false"
di = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f"VERSION = '{version}'\n",
    f"{name}/cli.py": f"import sys\ndef main():\n    print('{name} ' + __import__('{name}').VERSION + ' on ' + sys.executable)\n    return 0\n",
    f"{name}-{version}.data/scripts/{name}-raw": "#!python\nimport {0}\nprint('raw', {0}.VERSION)\n".format(name),
    f"{name}-{version}.data/data/share/{name}/note.txt": "data file\n",
    f"{di}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {d}\n" for d in deps),
    f"{di}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {purelib}\n" + "".join(f"Tag: {t}\n" for t in tags),
    f"{di}/entry_points.txt": f"[console_scripts]\n{name}-cli = {name}.cli:main\n",
}
if mode == "unsafe": files[f"{name}/../../evil.py"] = "x\n"
files = {p: c.encode() for p, c in files.items()}
for p, src in json.loads(os.environ.get("WHEEL_MEMBERS", "{}")).items():
    with open(src, "rb") as f: files[p] = f.read()
def h(b): return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
record = "".join(f"{p},{h(c)},{len(c)}\n" for p, c in files.items()) + f"{di}/RECORD,,\n"
if mode == "tamper": files[f"{name}/__init__.py"] = b"VERSION = 'evil'\n"
fn = os.path.join(out, f"{name}-{version}-{tag}.whl")
with zipfile.ZipFile(fn, "w", zipfile.ZIP_DEFLATED) as z:
    for p, c in files.items():
        info = zipfile.ZipInfo(p)
        info.external_attr = (0o755 if "/scripts/" in p or p.endswith(".so") else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, c)
    z.writestr(f"{di}/RECORD", record)
print(fn)
`;
