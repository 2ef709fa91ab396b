/**
 * A Python script (run by Debian's python3: `python3 -c MAKE_WHEEL <dir> <name> <version> <mode> [deps…]`)
 * that writes a pure wheel with Python's own zipfile: a package, a console entry point, a `.data/scripts`
 * script with the `#!python` placeholder, a `.data/data` file and a RECORD with real hashes. `mode` is `ok`,
 * `tamper` (a member changed after RECORD was written) or `unsafe` (a member named with `../`). Prints the path.
 */
export const MAKE_WHEEL = String.raw`
import base64, hashlib, os, sys, zipfile
out, name, version, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
deps = sys.argv[5:]
di = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f"VERSION = '{version}'\n",
    f"{name}/cli.py": f"import sys\ndef main():\n    print('{name} ' + __import__('{name}').VERSION + ' on ' + sys.executable)\n    return 0\n",
    f"{name}-{version}.data/scripts/{name}-raw": "#!python\nimport {0}\nprint('raw', {0}.VERSION)\n".format(name),
    f"{name}-{version}.data/data/share/{name}/note.txt": "data file\n",
    f"{di}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {d}\n" for d in deps),
    f"{di}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    f"{di}/entry_points.txt": f"[console_scripts]\n{name}-cli = {name}.cli:main\n",
}
if mode == "unsafe": files[f"{name}/../../evil.py"] = "x\n"
def h(b): return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
record = "".join(f"{p},{h(c.encode())},{len(c.encode())}\n" for p, c in files.items()) + f"{di}/RECORD,,\n"
if mode == "tamper": files[f"{name}/__init__.py"] = "VERSION = 'evil'\n"
fn = os.path.join(out, f"{name}-{version}-py3-none-any.whl")
with zipfile.ZipFile(fn, "w", zipfile.ZIP_DEFLATED) as z:
    for p, c in files.items():
        info = zipfile.ZipInfo(p)
        info.external_attr = (0o755 if "/scripts/" in p else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, c)
    z.writestr(f"{di}/RECORD", record)
print(fn)
`;
