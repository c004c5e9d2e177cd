// per-block: faults taken in the value-initialisation, address alignment, AnonHugePages share
#include <memory>
#include <random>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <sys/resource.h>
#include <time.h>
static long faults() { rusage r; getrusage(RUSAGE_SELF, &r); return r.ru_minflt; }
static double now() { timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void rollup(long *rss, long *ahp) {
  FILE *f = fopen("/proc/self/smaps_rollup", "r"); char l[256];
  while (fgets(l, sizeof l, f)) { sscanf(l, "Rss: %ld", rss); sscanf(l, "AnonHugePages: %ld", ahp); }
  fclose(f);
}
int main(int argc, char **argv) {
  std::unique_ptr<char[]> slots[20];
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<size_t> sz(5u << 20, 25u << 20), pick(0, 19);
  size_t sum = 0;
  long hist[4] = {0}; double tt[4] = {0}; size_t bytes[4] = {0};
  for (int i = 0; i < 2000; i++) {
    size_t k = pick(rng), n = sz(rng);
    long f0 = faults(); double t0 = now();
    char *p = new char[n]();
    double t1 = now(); long df = faults() - f0;
    int cls = df == 0 ? 0 : df < 64 ? 1 : df < 1024 ? 2 : 3;
    hist[cls]++; tt[cls] += t1 - t0; bytes[cls] += n;
    slots[k].reset(p);
    if (argc > 1 && i % 200 == 0) { long r = 0, a = 0; rollup(&r, &a); printf("i=%d rss=%ld ahp=%ld (%.0f%%) p%%2M=%lu\n", i, r, a, 100.0*a/r, (unsigned long)((uintptr_t)p & ((2<<20)-1))); }
    sum += slots[k][n / 2];
  }
  const char *nm[4] = {"0 faults", "1-63 faults", "64-1023", ">=1024"};
  for (int c = 0; c < 4; c++) printf("%-12s blocks=%ld GB=%.2f s=%.3f ns/KiB=%.1f\n", nm[c], hist[c], bytes[c]/1e9, tt[c], bytes[c] ? tt[c]*1e9/(bytes[c]/1024.0) : 0);
  printf("%zu\n", sum);
}
