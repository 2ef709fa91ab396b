/**
 * Binary wheels made at test time: `fastadd`, a C extension of one function (`add`) and one string (`TAG`,
 * the tag set of the wheel it was packed in), compiled by Debian's gcc against bookworm's python3.11 headers
 * (libpython3.11-dev) and packed by MAKE_WHEEL (src/test-support/wheels.ts) with the tags a resolver must tell
 * apart. Only one of them fits CPython 3.11 on x86_64 with a newer glibc than 2.17 best:
 *
 * - 1.4 `cp311-cp311-musllinux_1_1_x86_64` (never on glibc)
 * - 1.3 `cp311-cp311-manylinux_2_99_x86_64` (a glibc newer than any base's)
 * - 1.2 `cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64` (another Python)
 * - 1.1 `cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64` (the one), beside the same version's
 *   `cp311-abi3-manylinux_2_17_x86_64` and `cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64` (ranked below
 *   it; the second is the one for a glibc older than 2.17), `cp311-cp311-musllinux_1_1_x86_64`, and
 *   `cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64`, whose module is Python (no aarch64 compiler
 *   here: its tags are what is tested, and it says so in its TAG)
 * - 1.0 `py3-none-any`, the same function in Python (the fallback without a fitting binary)
 *
 * and `fastonly` 1.0, the x86_64 manylinux_2_17 extension alone (no wheel for another platform).
 * The compiled module's glibc symbol versions are checked to be 2.17 or older, as its manylinux_2_17 tag says.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAKE_WHEEL } from '../../src/test-support/wheels';

/** Debian's python3.11 headers (libpython3.11-dev). */
export const PYTHON_INCLUDE = '/usr/include/python3.11';

const C_SOURCE = String.raw`#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *add(PyObject *self, PyObject *args) {
  long a, b;
  if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
  return PyLong_FromLong(a + b);
}

static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "a + b"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) {
  PyObject *m = PyModule_Create(&module);
  if (m && PyModule_AddStringConstant(m, "TAG", FASTADD_TAG) < 0) { Py_DECREF(m); return NULL; }
  return m;
}
`;

/** The wheel of fastadd 1.1 that CPython 3.11 on x86_64 with glibc 2.17 or newer installs. */
export const FASTADD_X86_64 = 'fastadd-1.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl';

interface WheelDef { readonly name: string; readonly version: string; readonly tag: string; readonly ext?: string; readonly python?: string }

const WHEELS: readonly WheelDef[] = [
  { name: 'fastadd', version: '1.4', tag: 'cp311-cp311-musllinux_1_1_x86_64', ext: 'cpython-311-x86_64-linux-musl' },
  { name: 'fastadd', version: '1.3', tag: 'cp311-cp311-manylinux_2_99_x86_64', ext: 'cpython-311-x86_64-linux-gnu' },
  { name: 'fastadd', version: '1.2', tag: 'cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64', ext: 'cpython-312-x86_64-linux-gnu' },
  { name: 'fastadd', version: '1.1', tag: 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64', ext: 'cpython-311-x86_64-linux-gnu' },
  { name: 'fastadd', version: '1.1', tag: 'cp311-abi3-manylinux_2_17_x86_64', ext: 'abi3' },
  { name: 'fastadd', version: '1.1', tag: 'cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64', ext: 'cpython-311-x86_64-linux-gnu' },
  { name: 'fastadd', version: '1.1', tag: 'cp311-cp311-musllinux_1_1_x86_64', ext: 'cpython-311-x86_64-linux-musl' },
  { name: 'fastadd', version: '1.1', tag: 'cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64', python: 'manylinux_2_17_aarch64 tags, a Python module' },
  { name: 'fastadd', version: '1.0', tag: 'py3-none-any', python: 'pure' },
  { name: 'fastonly', version: '1.0', tag: 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64', ext: 'cpython-311-x86_64-linux-gnu' },
];

/** The newest glibc symbol version a shared object needs (objdump -T), as its minor number; 0 for none. */
function newestGlibc(so: string): number {
  const out = execFileSync('objdump', ['-T', so], { encoding: 'utf8' });
  return Math.max(0, ...[...out.matchAll(/GLIBC_2\.(\d+)/g)].map((m) => Number(m[1])));
}

/** Writes the wheels above into `dir` (their file names, in the order listed). */
export function writeFastaddWheels(dir: string): string[] {
  const work = mkdtempSync(join(tmpdir(), 'fastadd-'));
  try {
    writeFileSync(join(work, 'fastadd.c'), C_SOURCE);
    return WHEELS.map((w, i) => {
      const src = join(work, String(i));
      mkdirSync(src);
      const members: Record<string, string> = { [`${w.name}/__init__.py`]: join(src, '__init__.py') };
      if (w.ext) {
        const so = join(src, '_native.so');
        execFileSync('gcc', ['-shared', '-fPIC', '-O2', `-I${PYTHON_INCLUDE}`, `-DFASTADD_TAG="${w.tag}"`, join(work, 'fastadd.c'), '-o', so]);
        const glibc = newestGlibc(so);
        if (glibc > 17) throw new Error(`${w.name} ${w.tag}: the compiled module needs GLIBC_2.${glibc}, newer than manylinux_2_17 allows`);
        members[`${w.name}/_native.${w.ext}.so`] = so;
        writeFileSync(join(src, '__init__.py'), `VERSION = '${w.version}'\nfrom ._native import add, TAG\n`);
      } else {
        writeFileSync(join(src, '__init__.py'), `VERSION = '${w.version}'\nTAG = '${w.python}'\n\n\ndef add(a, b):\n    return a + b\n`);
      }
      const file = execFileSync('/usr/bin/python3', ['-c', MAKE_WHEEL, dir, w.name, w.version, 'ok'], {
        encoding: 'utf8', env: { ...process.env, WHEEL_TAG: w.tag, WHEEL_MEMBERS: JSON.stringify(members) },
      }).trim();
      return file.slice(file.lastIndexOf('/') + 1);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
