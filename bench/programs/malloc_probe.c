// Preloaded after the allocator under test into every process of a //bench:apps run: records which
// shared object serves `malloc` (the proof that the allocator really loaded; the loader only warns
// when a preload fails, and the program then runs on glibc) and, at exit, the process's peak RSS.
// Records go to the file named by HAKMEM_APPS_PROBE, one line each, appended with one write(2)
// (atomic for lines this short), so a program's child processes can share the file:
//   malloc <pid> <path of the object defining malloc>
//   exit <pid> <VmHWM kB>
// No record is written through stdio or malloc: the probe must not disturb what it observes.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void probe_append(const char *line, size_t len) {
  const char *path = getenv("HAKMEM_APPS_PROBE");
  if (path == NULL || path[0] == '\0') return;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t written = write(fd, line, len);
  (void)written;  // a lost record shows up as a missing proof, which the runner reports
  close(fd);
}

// VmHWM from /proc/self/status in kB, or -1 if it cannot be read.
static long peak_rss_kb(void) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char *p = strstr(buf, "VmHWM:");
  return p ? strtol(p + 6, NULL, 10) : -1;
}

// The first loaded object, in lookup order, whose own `malloc` definition dlsym finds: that is the
// one every call binds to. The main program is skipped: a non-PIE executable that takes malloc's
// address exports a PLT stub under that name (Debian's python3 does), which dlsym(RTLD_DEFAULT)
// would return; none of the programs measured defines malloc itself.
static int find_provider(struct dl_phdr_info *obj, size_t size, void *found) {
  (void)size;
  if (obj->dlpi_name == NULL || obj->dlpi_name[0] == '\0') return 0;  // the main program
  void *handle = dlopen(obj->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
  if (handle == NULL) return 0;  // e.g. the vDSO
  void *fn = dlsym(handle, "malloc");
  Dl_info info;
  int own = fn && dladdr(fn, &info) && info.dli_fname && strcmp(info.dli_fname, obj->dlpi_name) == 0;
  dlclose(handle);
  if (!own) return 0;  // dlsym found a dependency's definition
  *(const char **)found = obj->dlpi_name;
  return 1;
}

__attribute__((constructor)) static void probe_start(void) {
  const char *where = "unknown";
  dl_iterate_phdr(find_provider, &where);
  char line[4200];
  int len = snprintf(line, sizeof line, "malloc %d %s\n", (int)getpid(), where);
  if (len > 0 && (size_t)len < sizeof line) probe_append(line, (size_t)len);
}

__attribute__((destructor)) static void probe_end(void) {
  char line[64];
  int len = snprintf(line, sizeof line, "exit %d %ld\n", (int)getpid(), peak_rss_kb());
  if (len > 0 && (size_t)len < sizeof line) probe_append(line, (size_t)len);
}
