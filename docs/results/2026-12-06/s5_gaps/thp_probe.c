/* Where does writing a 16 MiB block cost most: into resident memory (THP or 4 KiB pages) or into
 * pages just given back with MADV_DONTNEED, which the kernel zeroes again at the fault?
 * Mode 0/1: resident THP/4 KiB; 2/4: refaulted THP/4 KiB. Prints user/sys time and faults. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#define SZ (16u << 20)
#define N 20
#define REP 300
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void report(const char *nm, double t0, struct rusage *r0) {
  struct rusage r; getrusage(RUSAGE_SELF, &r);
  double u = (r.ru_utime.tv_sec - r0->ru_utime.tv_sec) + (r.ru_utime.tv_usec - r0->ru_utime.tv_usec) * 1e-6;
  double s = (r.ru_stime.tv_sec - r0->ru_stime.tv_sec) + (r.ru_stime.tv_usec - r0->ru_stime.tv_usec) * 1e-6;
  double gb = (double)SZ * REP / 1e9;
  printf("%-28s wall %.2f user %.2f sys %.2f  faults %ld  (GB/s wall %.1f)\n", nm, now() - t0, u, s, r.ru_minflt - r0->ru_minflt, gb / (now() - t0));
}
static char *amap(int huge) {
  char *raw = mmap(NULL, SZ + (2u << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *p = (char *)(((uintptr_t)raw + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
  if (huge) madvise(p, SZ, MADV_HUGEPAGE);
  return p;
}
int main(int argc, char **argv) {
  int mode = atoi(argv[1]);
  char *b[N];
  for (int i = 0; i < N; i++) { b[i] = amap(mode != 1 && mode != 4); memset(b[i], 1, SZ); }
  struct rusage r0; getrusage(RUSAGE_SELF, &r0); double t0 = now();
  for (int i = 0; i < REP; i++) {
    char *p = b[i % N];
    if (mode == 2 || mode == 4) madvise(p, SZ, MADV_DONTNEED);
    memset(p, 0, SZ);
  }
  const char *nm[] = {"resident THP, cold", "resident 4K, cold", "DONTNEED+refault THP", "", "DONTNEED+refault 4K"};
  report(nm[mode], t0, &r0);
  return 0;
}
