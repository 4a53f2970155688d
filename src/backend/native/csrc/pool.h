// Thread pool of the native backend: ANVIL_THREADS threads (default: the available
// cores), the calling thread included. Work is split statically into contiguous ranges,
// one per thread, so a given thread count always runs the same partition.
#pragma once
#include <cstdint>
#include <functional>

namespace anvil {

/** Sets the number of threads (>= 1), joining or starting workers as needed. */
void pool_set_threads(int n);
/** The current number of threads, the calling thread included. */
int pool_threads();

/**
 * Runs fn(begin, end, tid) on every thread for its contiguous share of [0, n). Threads
 * beyond ceil(n / grain) get nothing, so small jobs stay on the calling thread. Calls
 * from inside a job run serially on the caller.
 */
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)>& fn);

}  // namespace anvil
