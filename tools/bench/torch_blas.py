#!/usr/bin/env python3
"""Which BLAS torch computes with, for the bench's PyTorch rows.

Debian's python3-torch is built with BLAS_INFO=generic: its libtorch calls whatever
`libblas.so.3` the dynamic loader resolves. Without an optimized BLAS that is the netlib
reference BLAS (…/blas/libblas.so.3) and every GEMM-bound torch figure is ~20x too slow; such a
run is no anchor. Fix: apt-get install -y libopenblas0-pthread (it takes over libblas.so.3).

`detect_blas()` runs one small matmul (so the BLAS is loaded) and reads the shared objects
mapped into this process (/proc/self/maps): the file the loader resolved for libblas.so.3, not
just what the /usr/lib symlink says (LD_LIBRARY_PATH or LD_PRELOAD can differ from it).

As a script it prints torch's version and the detection as one JSON object (the bench's probe
before it runs ../shared/anchors/torch_gd_step.py, which cannot report it itself):
  /usr/bin/python3 tools/bench/torch_blas.py
"""
import ctypes, json, os, sys

SYSTEM_LIBBLAS = "/usr/lib/x86_64-linux-gnu/libblas.so.3"
FIX = "apt-get install -y libopenblas0-pthread"
# Environment variables that change what OpenBLAS does; the bench records them, never sets them.
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def _vendor(path):
    p = path.lower()
    for key, name in (("openblas", "OpenBLAS"), ("mkl", "MKL"), ("blis", "BLIS"), ("atlas", "ATLAS")):
        if key in p:
            return name
    if os.path.basename(os.path.dirname(p)) == "blas" and os.path.basename(p).startswith("libblas.so"):
        return "reference"  # netlib: /usr/lib/<triplet>/blas/libblas.so.3
    return "unknown"


def _mapped_libraries():
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/") and ".so" in p)


def _resolve_sgemm():
    """The file that defines the sgemm_ libtorch calls, found as the loader finds it: the global
    scope first, then libtorch_cpu's own dependencies in load order (dlsym on its handle)."""
    libdl = ctypes.CDLL(None)

    class DlInfo(ctypes.Structure):
        _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p), ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]

    libdl.dladdr.argtypes = (ctypes.c_void_p, ctypes.POINTER(DlInfo))
    torch_cpu = next((p for p in _mapped_libraries() if os.path.basename(p).startswith("libtorch_cpu.so")), None)
    scopes = [("global scope", libdl)]
    if torch_cpu:
        try:
            scopes.append(("libtorch_cpu's dependencies", ctypes.CDLL(torch_cpu, mode=os.RTLD_NOLOAD)))
        except OSError:
            pass
    for name, handle in scopes:
        try:
            address = ctypes.cast(handle.sgemm_, ctypes.c_void_p).value
        except AttributeError:
            continue
        info = DlInfo()
        if address and libdl.dladdr(address, ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(info.dli_fname.decode()), f"dladdr(sgemm_) in {name}"
    return None, None


def detect_blas():
    """{library, vendor, reference, valid, env, openblas?, ...}: the BLAS this process's torch uses."""
    import torch

    a = torch.ones(64, 64)
    (a @ a).sum().item()  # loads and calls sgemm
    mapped = _mapped_libraries()
    blas_like = [p for p in mapped if any(k in os.path.basename(p).lower() for k in ("blas", "mkl", "blis", "atlas"))]
    library, source = _resolve_sgemm()
    if library is None:  # no symbol lookup: the libblas.so.3 mapped here, else the system symlink
        library = next((p for p in blas_like if os.path.basename(p).startswith("libblas.so")), None)
        source = "/proc/self/maps"
        if library is None and os.path.exists(SYSTEM_LIBBLAS):
            library, source = os.path.realpath(SYSTEM_LIBBLAS), "readlink " + SYSTEM_LIBBLAS
    vendor = _vendor(library) if library else "unknown"
    info = {
        "library": library,
        "vendor": vendor,
        "reference": vendor == "reference",
        "valid": vendor != "reference",
        "source": source,
        "system_libblas": os.path.realpath(SYSTEM_LIBBLAS) if os.path.exists(SYSTEM_LIBBLAS) else None,
        "mapped": blas_like,
        "env": {k: os.environ.get(k) for k in BLAS_ENV},
    }
    if vendor == "OpenBLAS":
        info["openblas"] = _openblas_config([library] + blas_like)
    return info


def _openblas_config(paths):
    """OpenBLAS's own report (version, build, the core it chose), when its symbols are reachable."""
    for p in paths:
        try:
            lib = ctypes.CDLL(p, mode=os.RTLD_NOLOAD | ctypes.RTLD_GLOBAL)
        except OSError:
            continue
        out = {}
        for name in ("openblas_get_config", "openblas_get_corename"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                out[name[len("openblas_get_"):]] = fn().decode(errors="replace").strip()
        if out:
            return out
    return None


def describe(info):
    """One line for a log: vendor, library, and the OpenBLAS environment variables that were set."""
    env = ", ".join(f"{k}={v}" for k, v in info["env"].items() if v is not None) or "no OPENBLAS_*/OMP_* variables set"
    core = f", core {info['openblas']['corename']}" if info.get("openblas") and "corename" in info["openblas"] else ""
    return f"torch BLAS: {info['vendor']} ({info['library']}{core}); {env}"


def warn_if_reference(info, stream=sys.stderr):
    """Says on `stream` that a reference-BLAS run is no anchor, and how to fix it; True when it is."""
    if info["reference"]:
        print(f"INVALID ANCHOR: torch is running on the reference BLAS ({info['library']}): its GEMM-bound "
              f"timings are ~20x too slow and no ratio against them means anything. Fix: {FIX}", file=stream, flush=True)
    return info["reference"]


if __name__ == "__main__":
    import torch

    info = detect_blas()
    warn_if_reference(info)
    print(json.dumps({"torch": torch.__version__, "blas": info}))
