# Reference for bench/engine.ts: numpy (OpenBLAS) matmul GFLOP/s on the shapes given as JSON
# in argv[1] ([[m, n, k], ...]); the thread count comes from OPENBLAS_NUM_THREADS, set by the
# caller. Prints one JSON object {"m,n,k": gflops} (median of timed repeats).
import json
import sys
import time

import numpy as np


def median_gflops(m, n, k):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    flops = 2.0 * m * n * k
    reps = max(3, min(30, int(2e9 / flops)))
    np.matmul(a, b, out=c)
    np.matmul(a, b, out=c)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t0)
    times.sort()
    return flops / times[len(times) // 2] / 1e9


out = {}
for m, n, k in json.loads(sys.argv[1]):
    out[f"{m},{n},{k}"] = median_gflops(m, n, k)
print(json.dumps(out))
