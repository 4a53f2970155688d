// Thread pool: workers wait on a generation counter (a short spin, then a condition
// variable, so that idle workers cost nothing on a shared machine); the caller runs
// share 0 of every job and waits for the others.
#include "pool.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define ANVIL_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define ANVIL_PAUSE() __asm__ __volatile__("yield")
#else
#define ANVIL_PAUSE() ((void)0)
#endif

namespace anvil {
namespace {

struct Job {
  const std::function<void(int64_t, int64_t, int)>* fn = nullptr;
  int64_t n = 0;
  int active = 0;  // threads that get a non-empty share
};

std::mutex mu;
std::mutex job_mu;  // one job at a time, should two JavaScript threads call kernels at once
std::condition_variable wake, finished;
std::atomic<uint64_t> generation{0};
std::atomic<int> pending{0};
std::atomic<bool> stopping{false};
Job job;
std::vector<std::thread> workers;
int nthreads = 1;
thread_local bool inside_job = false;

void run_share(int tid) {
  if (tid >= job.active) return;
  int64_t begin = job.n * tid / job.active, end = job.n * (tid + 1) / job.active;
  if (begin < end) (*job.fn)(begin, end, tid);
}

void worker_main(int tid) {
  inside_job = true;
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = generation.load(std::memory_order_acquire);
    for (int spin = 0; g == seen && spin < 4000; spin++) {
      ANVIL_PAUSE();
      g = generation.load(std::memory_order_acquire);
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lk(mu);
      wake.wait(lk, [&] { return generation.load() != seen || stopping.load(); });
      g = generation.load();
    }
    if (stopping.load()) return;
    seen = g;
    run_share(tid);
    if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lk(mu);
      finished.notify_one();
    }
  }
}

void stop_workers() {
  {
    std::lock_guard<std::mutex> lk(mu);
    stopping = true;
  }
  wake.notify_all();
  for (auto& t : workers) t.join();
  workers.clear();
  stopping = false;
}

struct Shutdown {
  ~Shutdown() { stop_workers(); }
} shutdown_at_exit;

}  // namespace

void pool_set_threads(int n) {
  std::lock_guard<std::mutex> one_job(job_mu);
  if (n < 1) n = 1;
  if (n == nthreads && (int)workers.size() == n - 1) return;
  stop_workers();
  nthreads = n;
  generation = 0;
  for (int t = 1; t < n; t++) workers.emplace_back(worker_main, t);
}

int pool_threads() { return nthreads; }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t useful = (n + grain - 1) / grain;
  int active = (int)(useful < nthreads ? useful : nthreads);
  if (active <= 1 || inside_job) {
    fn(0, n, 0);
    return;
  }
  std::lock_guard<std::mutex> one_job(job_mu);
  job.fn = &fn;
  job.n = n;
  job.active = active;
  pending.store(nthreads - 1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lk(mu);
    generation.fetch_add(1, std::memory_order_acq_rel);
  }
  wake.notify_all();
  inside_job = true;
  run_share(0);
  inside_job = false;
  for (int spin = 0; pending.load(std::memory_order_acquire) != 0 && spin < 20000; spin++) ANVIL_PAUSE();
  if (pending.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> lk(mu);
    finished.wait(lk, [] { return pending.load() == 0; });
  }
}

}  // namespace anvil
