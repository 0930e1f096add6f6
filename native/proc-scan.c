// The census's pass over every process, in C (issue 12; docs/benchmarks.md, "The native scan").
// It reads what src/host/proc-scan.ts's scanPid reads, and nothing else: each process's stat, its
// cmdline (not for a kernel thread), and the socket: and pipe: links of its fd table. It parses
// only the stat line's numbers, and only where the result is sure to be the census's parser's
// (parse_stat; anything odd is left to that parser); the rest is parsed on the JS side. It exists because Node's fs bindings cost
// about as much per call as the kernel's work (a census of 2,000 processes is ~25,000 calls), and
// because a worker thread takes ~35 ms to start: here the reading starts on native threads the
// moment the CLI starts, while the command's JavaScript loads, and each call costs the syscall.
//
// Two calls (Node-API, no V8 or libuv API: one binary for every Node version):
//   start(prefix, threads) -> handle   lists the proc root and starts `threads` threads reading it;
//   collect(handle) -> result          waits for them and returns what they read, column by column.
// Nothing is ever written; no process is signalled. A read error is returned as its errno.
//
// Kept simple on purpose: one record per pid listed, claimed by an atomic counter; every string
// copied once into its own allocation; everything freed by collect (or, if collect is never
// called, when the handle is garbage-collected, after the threads are joined).
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_THREADS 8
// The numbers parse_stat takes from stat: the pid, then fields 4-7, 9, 14, 15, 22 and 24.
#define STAT_NUMS 10
#define PF_KTHREAD 0x00200000
#define PROC_SUPER_MAGIC 0x9fa0

typedef struct {
  int pid;
  char *stat;      // NULL when not read
  size_t stat_len;
  int stat_err;    // errno, 0 when read
  int stat_call;   // 0 open, 1 read: the call that failed
  int stat_ok;     // 1: stat parsed here (parse_stat), to exactly what the census's parser gives
  int stat_state;  // the state letter (stat_ok)
  size_t comm_at;  // where comm lies in stat, between the first "(" and the last ")" (stat_ok)
  size_t comm_len;
  double stat_nums[STAT_NUMS];
  char *cmd;
  size_t cmd_len;
  int cmd_err;
  int cmd_call;
  int fd_state;    // -1 not read, -2 the fd table could not be listed (fd_err), >= 0 links kept
  int fd_err;
  int *fds;
  char **targets;
  size_t *target_lens;
} rec_t;

typedef struct {
  char *prefix;         // ends in "/"
  size_t prefix_len;
  int *pids;
  size_t npids;
  rec_t *recs;
  size_t next;          // the next record to claim (atomic)
  int nthreads;
  pthread_t threads[1];  // the first thread (first_thread), which starts and joins the others
  int started;          // whether it was started
  int list_err;         // errno of listing the proc root, 0 when listed
  int procfs;           // the root is a procfs mount (list_dir's end-of-table rule holds)
  int collected;
} job_t;

typedef struct {
  char *buf;
  size_t cap;
} box_t;

static int grow(box_t *b, size_t need) {
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 65536;
  while (cap < need) cap *= 2;
  char *n = realloc(b->buf, cap);
  if (!n) return ENOMEM;
  b->buf = n;
  b->cap = cap;
  return 0;
}

// A whole proc file that comes in one read when the buffer is big enough (stat, cmdline): a short
// read is its end, so the read that would return 0 is not made (as readWhole in proc-scan.ts).
// Returns 0 and a fresh copy in *out, or an errno (*call: 0 open, 1 read).
static int read_whole(int dirfd, const char *name, box_t *b, char **out, size_t *out_len, int *call) {
  int fd;
  do fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC); while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    *call = 0;
    return errno;
  }
  size_t len = 0;
  for (;;) {
    if (grow(b, len + 1) != 0) {
      close(fd);
      *call = 1;
      return ENOMEM;
    }
    size_t want = b->cap - len;
    ssize_t n = read(fd, b->buf + len, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      *call = 1;
      return e;
    }
    len += (size_t)n;
    if (n == 0 || (size_t)n < want) break;
  }
  close(fd);
  char *copy = malloc(len ? len : 1);
  if (!copy) {
    *call = 1;
    return ENOMEM;
  }
  memcpy(copy, b->buf, len);
  *out = copy;
  *out_len = len;
  return 0;
}

// PF_KTHREAD from stat's field 9 (flags), found as proc-scan.ts's scanPid finds it: the sixth
// field after the state, which follows the last ")". A line that does not parse is not a kernel
// thread here (read on; the census's parser reports it).
static int is_kernel_thread(const char *s, size_t len) {
  size_t close_at = len;
  for (size_t i = len; i > 0; i--) {
    if (s[i - 1] == ')') {
      close_at = i - 1;
      break;
    }
  }
  if (close_at == len) return 0;
  size_t k = close_at + 2;
  for (int f = 3; f < 9; f++) {
    while (k < len && s[k] != ' ') k++;
    if (k >= len) return 0;
    k++;
  }
  long v = 0;
  int digits = 0;
  while (k < len && s[k] >= '0' && s[k] <= '9' && digits < 12) {
    v = v * 10 + (s[k] - '0');
    k++;
    digits++;
  }
  return digits > 0 && (v & PF_KTHREAD) != 0;
}

// The fields the census's parser (src/os/linux/proc-pid.ts, parseProcStat) takes from a stat line,
// parsed here, on the reading thread, only where the result is sure to be the one that parser
// gives: "PID (COMM) S f4 f5 …", the pid and every field taken plain decimal digits (at most 15,
// so exact as a double) each followed by one space, the state one ASCII letter. Anything else (a
// field missing, "-1", two spaces, a state that is not ASCII) is left to that parser, which
// reports it as it always has. Returns 1 and fills nums (STAT_NUMS) and *state.
static const int stat_fields[STAT_NUMS - 1] = {4, 5, 6, 7, 9, 14, 15, 22, 24};

static int digits_at(const char *s, size_t len, size_t *k, double *out) {
  size_t i = *k;
  double v = 0;
  int n = 0;
  while (i < len && s[i] >= '0' && s[i] <= '9') {
    if (++n > 15) return 0;
    v = v * 10 + (s[i] - '0');
    i++;
  }
  if (n == 0 || i >= len || s[i] != ' ') return 0;
  *out = v;
  *k = i + 1;
  return 1;
}

static int parse_stat(const char *s, size_t len, double *nums, int *state, size_t *comm_at, size_t *comm_len) {
  const char *open = memchr(s, '(', len);
  if (!open) return 0;
  size_t close_at = len;
  for (size_t i = len; i > 0; i--) {
    if (s[i - 1] == ')') {
      close_at = i - 1;
      break;
    }
  }
  if (close_at == len || close_at < (size_t)(open - s)) return 0;
  *comm_at = (size_t)(open - s) + 1;
  *comm_len = close_at - *comm_at;
  // The pid: digits, one space, then "(".
  size_t k = 0;
  if (!digits_at(s, len, &k, &nums[0]) || k != (size_t)(open - s)) return 0;
  // ") " then the state: one ASCII letter and a space.
  k = close_at + 1;
  if (k + 2 >= len || s[k] != ' ') return 0;
  k++;
  unsigned char st = (unsigned char)s[k];
  if (st < 0x21 || st > 0x7e || s[k + 1] != ' ') return 0;
  *state = st;
  k += 2;
  int field = 4;
  for (int f = 0; f < STAT_NUMS - 1; f++) {
    // Fields not taken (8, 10-13, 16-21, 23): skipped up to their space, as the parser's split does.
    while (field < stat_fields[f]) {
      while (k < len && s[k] != ' ') k++;
      if (k >= len) return 0;
      k++;
      field++;
    }
    if (!digits_at(s, len, &k, &nums[f + 1])) return 0;
    field++;
  }
  return 1;
}

// The links kept for a record (targets[0 .. fd_state) are its own), freed and forgotten.
static void free_links(rec_t *r) {
  if (r->targets)
    for (int k = 0; k < r->fd_state; k++) free(r->targets[k]);
  free(r->fds);
  free(r->targets);
  free(r->target_lens);
  r->fds = NULL;
  r->targets = NULL;
  r->target_lens = NULL;
}

// Everything a record holds, freed; the record then says "not read".
static void free_rec(rec_t *r) {
  free(r->stat);
  free(r->cmd);
  r->stat = r->cmd = NULL;
  free_links(r);
  r->fd_state = -1;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// linux_dirent64 as the getdents64 system call writes it (glibc has no wrapper before 2.30).
struct dirent64_rec {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// The whole listing of an open directory, read with getdents64 straight into `dents` (grown as
// needed): no DIR stream, whose fdopendir costs an fstat and two fcntl calls per process, and the
// names need no copy of their own. On procfs (`procfs`: the proc root is one, PROC_SUPER_MAGIC)
// a call that left room for another entry has reached the end of the table: proc_readfd_common
// emits fds until the buffer is full or there is none left, so the call that would return 0 is not
// made (on a fixture tree, another file system, it is). Returns the bytes listed, or -1 (errno).
static long list_dir(int dfd, box_t *dents, int procfs) {
  size_t len = 0;
  for (;;) {
    if (grow(dents, len + 4096) != 0) {
      errno = ENOMEM;
      return -1;
    }
    size_t room = dents->cap - len;
    long n = syscall(SYS_getdents64, dfd, dents->buf + len, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    len += (size_t)n;
    // The largest entry a pid's fd table has: a 10-digit fd name, 8-byte aligned.
    if (procfs && (size_t)n + 64 <= room) break;
  }
  return (long)len;
}

// The fd table's socket and pipe links, in the order Node's readdirSync gives the names (sorted
// as strings, libuv's scandir), so that both scans give the same records.
static void read_fds(int piddir, rec_t *r, box_t *b, box_t *dents, int procfs) {
  int dfd;
  do dfd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC); while (dfd < 0 && errno == EINTR);
  if (dfd < 0) {
    r->fd_state = -2;
    r->fd_err = errno;
    return;
  }
  long len = list_dir(dfd, dents, procfs);
  if (len < 0) {
    // As readdirSync's error: the table counts as not listed, never as empty.
    r->fd_state = -2;
    r->fd_err = errno;
    close(dfd);
    return;
  }
  size_t n = 0, cap = 0;
  char **names = NULL;
  int nomem = 0;
  for (long o = 0; o < len;) {
    struct dirent64_rec *e = (struct dirent64_rec *)(dents->buf + o);
    o += e->d_reclen;
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      size_t c = cap ? cap * 2 : 16;
      char **nn = realloc(names, c * sizeof *nn);
      if (!nn) {
        nomem = 1;
        break;
      }
      names = nn;
      cap = c;
    }
    names[n++] = e->d_name;  // points into dents, which is not touched again before the end
  }
  if (n > 1) qsort(names, n, sizeof *names, cmp_names);
  size_t kept = 0;
  r->fds = malloc((n ? n : 1) * sizeof *r->fds);
  r->targets = malloc((n ? n : 1) * sizeof *r->targets);
  r->target_lens = malloc((n ? n : 1) * sizeof *r->target_lens);
  if (nomem || !r->fds || !r->targets || !r->target_lens || grow(b, 4096) != 0) {
    // No memory: the table counts as not listed, never as empty.
    free(names);
    close(dfd);
    free_links(r);  // fd_state is still -1: no target is its own yet
    r->fd_state = -2;
    r->fd_err = ENOMEM;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    ssize_t l = readlinkat(dfd, names[i], b->buf, b->cap);
    if (l < 0) continue;  // closed since the listing
    if ((l >= 7 && memcmp(b->buf, "socket:", 7) == 0) || (l >= 5 && memcmp(b->buf, "pipe:", 5) == 0)) {
      char *t = malloc((size_t)l);
      if (!t) continue;
      memcpy(t, b->buf, (size_t)l);
      r->fds[kept] = atoi(names[i]);
      r->targets[kept] = t;
      r->target_lens[kept] = (size_t)l;
      kept++;
    }
  }
  free(names);
  close(dfd);
  r->fd_state = (int)kept;
}

static void scan_pid(job_t *job, rec_t *r, box_t *b, box_t *dents) {
  char name[32];
  snprintf(name, sizeof name, "%d", r->pid);
  // The pid's directory, opened once: the three reads below are relative to it.
  char *path = malloc(job->prefix_len + sizeof name);
  if (!path) {
    r->stat_err = ENOMEM;
    return;
  }
  memcpy(path, job->prefix, job->prefix_len);
  strcpy(path + job->prefix_len, name);
  int dir;
  do dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC); while (dir < 0 && errno == EINTR);
  free(path);
  if (dir < 0) {
    // As opening PID/stat would fail: ENOENT (gone), EACCES.
    r->stat_err = errno;
    r->stat_call = 0;
    return;
  }
  r->stat_err = read_whole(dir, "stat", b, &r->stat, &r->stat_len, &r->stat_call);
  if (r->stat_err == 0) r->stat_ok = parse_stat(r->stat, r->stat_len, r->stat_nums, &r->stat_state, &r->comm_at, &r->comm_len);
  // The flags parse_stat took (nums[5]: field 9), else the line read as the JavaScript pass reads it.
  int kthread = r->stat_err == 0 && (r->stat_ok ? ((unsigned long)r->stat_nums[5] & PF_KTHREAD) != 0 : is_kernel_thread(r->stat, r->stat_len));
  if (r->stat_err == 0 && !kthread) {
    r->cmd_err = read_whole(dir, "cmdline", b, &r->cmd, &r->cmd_len, &r->cmd_call);
    if (r->cmd_err != ENOENT && r->cmd_err != ESRCH) read_fds(dir, r, b, dents, job->procfs);
  }
  close(dir);
}

static void *worker(void *arg) {
  job_t *job = arg;
  box_t b = {NULL, 0}, dents = {NULL, 0};
  for (;;) {
    size_t i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
    if (i >= job->npids) break;
    scan_pid(job, &job->recs[i], &b, &dents);
  }
  free(b.buf);
  free(dents.buf);
  return NULL;
}

static void list_root(job_t *job) {
  struct statfs fs;
  job->procfs = statfs(job->prefix, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
  DIR *d = opendir(job->prefix);
  if (!d) {
    job->list_err = errno;
    return;
  }
  size_t cap = 1024;
  job->pids = malloc(cap * sizeof *job->pids);
  struct dirent *e;
  while (job->pids && (e = readdir(d)) != NULL) {
    const char *s = e->d_name;
    if (s[0] < '0' || s[0] > '9') continue;
    long v = 0;
    int ok = 1;
    for (const char *c = s; *c; c++) {
      if (*c < '0' || *c > '9' || v > 0x7fffffffL / 10) {
        ok = 0;
        break;
      }
      v = v * 10 + (*c - '0');
    }
    if (!ok || v <= 0) continue;
    if (job->npids == cap) {
      int *n = realloc(job->pids, cap * 2 * sizeof *n);
      if (!n) break;
      job->pids = n;
      cap *= 2;
    }
    job->pids[job->npids++] = (int)v;
  }
  closedir(d);
  if (!job->pids) job->list_err = ENOMEM;
}

// The first thread lists the root, starts the others (nthreads in all), reads its share, and
// waits for them: collect() joins this one.
static void *first_thread(void *arg) {
  job_t *job = arg;
  list_root(job);
  job->recs = calloc(job->npids ? job->npids : 1, sizeof *job->recs);
  if (!job->recs) {
    job->npids = 0;
    if (!job->list_err) job->list_err = ENOMEM;
  }
  for (size_t i = 0; i < job->npids; i++) {
    job->recs[i].pid = job->pids[i];
    job->recs[i].fd_state = -1;
  }
  pthread_t more[MAX_THREADS];
  int n = 0;
  for (int t = 1; t < job->nthreads; t++)
    if (pthread_create(&more[n], NULL, worker, job) == 0) n++;
  worker(job);
  for (int t = 0; t < n; t++) pthread_join(more[t], NULL);
  return NULL;
}

static void free_job(job_t *job) {
  if (!job) return;
  for (size_t i = 0; i < job->npids && job->recs; i++) free_rec(&job->recs[i]);
  free(job->recs);
  free(job->pids);
  free(job->prefix);
  free(job);
}

static void join_all(job_t *job) {
  for (int t = 0; t < job->started; t++) pthread_join(job->threads[t], NULL);
  job->started = 0;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  job_t *job = data;
  join_all(job);
  free_job(job);
}

#define CHECK(call)                                              \
  do {                                                           \
    if ((call) != napi_ok) {                                     \
      napi_throw_error(env, NULL, "proc-scan: " #call " failed"); \
      return NULL;                                               \
    }                                                            \
  } while (0)

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "proc-scan: start(prefix, threads)");
    return NULL;
  }
  size_t plen = 0;
  CHECK(napi_get_value_string_utf8(env, argv[0], NULL, 0, &plen));
  int32_t threads = 1;
  CHECK(napi_get_value_int32(env, argv[1], &threads));
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;

  job_t *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, NULL, "proc-scan: out of memory");
    return NULL;
  }
  job->prefix = malloc(plen + 1);
  if (!job->prefix) {
    free(job);
    napi_throw_error(env, NULL, "proc-scan: out of memory");
    return NULL;
  }
  CHECK(napi_get_value_string_utf8(env, argv[0], job->prefix, plen + 1, &plen));
  job->prefix_len = plen;

  job->nthreads = threads;
  // The listing and the reading both happen on the threads: start() returns at once, and this
  // (JavaScript's) thread goes on loading the command. The threads block every signal (as
  // libuv's own threads do), so that SIGINT, SIGTERM and the rest reach Node's thread.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int created = pthread_create(&job->threads[0], NULL, first_thread, job) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (created) job->started = 1;
  else first_thread(job);  // no thread could start (a sandbox's limit): all of it here, now
  napi_value handle;
  if (napi_create_external(env, job, finalize, NULL, &handle) != napi_ok) {
    join_all(job);
    free_job(job);
    napi_throw_error(env, NULL, "proc-scan: napi_create_external failed");
    return NULL;
  }
  return handle;
}

static napi_value str_or_null(napi_env env, const char *s, size_t len) {
  napi_value v;
  if (s == NULL) {
    napi_get_null(env, &v);
    return v;
  }
  if (napi_create_string_utf8(env, s, len, &v) != napi_ok) napi_get_null(env, &v);
  return v;
}

static napi_value int32_array(napi_env env, size_t n, int32_t **data) {
  napi_value ab, arr;
  void *raw = NULL;
  if (napi_create_arraybuffer(env, n * sizeof(int32_t), &raw, &ab) != napi_ok) return NULL;
  if (napi_create_typedarray(env, napi_int32_array, n, ab, 0, &arr) != napi_ok) return NULL;
  *data = raw;
  return arr;
}

// { listError, pids: Int32Array, stat: (string|null)[] (null where read and parsed here: comm
//   then holds its comm), comm: (string|null)[], statError: Int32Array (errno, 0 read),
//   statCall, cmdline, cmdlineError, cmdlineCall, nfds: Int32Array (-1 not read, -2 not listed:
//   fdError), fdError, fds: Int32Array (all links, pid by pid), targets: string[],
//   statState: Int32Array (the state letter's code where stat was parsed here, else 0),
//   statNums: Float64Array (STAT_NUMS per pid: pid, fields 4-7, 9, 14, 15, 22, 24) }
static napi_value collect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  job_t *job = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&job) != napi_ok || job == NULL) {
    napi_throw_type_error(env, NULL, "proc-scan: collect(handle)");
    return NULL;
  }
  if (job->collected) {
    napi_throw_error(env, NULL, "proc-scan: already collected");
    return NULL;
  }
  join_all(job);
  job->collected = 1;
  size_t n = job->npids;
  size_t nlinks = 0;
  for (size_t i = 0; i < n; i++)
    if (job->recs[i].fd_state > 0) nlinks += (size_t)job->recs[i].fd_state;

  napi_value out, v, stat, comm, cmd, targets;
  int32_t *pids, *statErr, *statCall, *cmdErr, *cmdCall, *nfds, *fdErr, *fds;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_int32(env, job->list_err, &v));
  CHECK(napi_set_named_property(env, out, "listError", v));
#define COLUMN(name, ptr, len)                             \
  v = int32_array(env, len, &ptr);                         \
  if (!v) {                                                \
    napi_throw_error(env, NULL, "proc-scan: no memory");   \
    return NULL;                                           \
  }                                                        \
  CHECK(napi_set_named_property(env, out, name, v));
  COLUMN("pids", pids, n)
  COLUMN("statError", statErr, n)
  COLUMN("statCall", statCall, n)
  COLUMN("cmdlineError", cmdErr, n)
  COLUMN("cmdlineCall", cmdCall, n)
  COLUMN("nfds", nfds, n)
  COLUMN("fdError", fdErr, n)
  COLUMN("fds", fds, nlinks)
  int32_t *statState;
  COLUMN("statState", statState, n)
  double *statNums;
  {
    napi_value ab;
    void *raw = NULL;
    CHECK(napi_create_arraybuffer(env, (n ? n : 1) * STAT_NUMS * sizeof(double), &raw, &ab));
    CHECK(napi_create_typedarray(env, napi_float64_array, n * STAT_NUMS, ab, 0, &v));
    CHECK(napi_set_named_property(env, out, "statNums", v));
    statNums = raw;
  }
  CHECK(napi_create_array_with_length(env, n, &stat));
  CHECK(napi_create_array_with_length(env, n, &comm));
  CHECK(napi_create_array_with_length(env, n, &cmd));
  CHECK(napi_create_array_with_length(env, nlinks, &targets));
  size_t f = 0;
  for (size_t i = 0; i < n; i++) {
    rec_t *r = &job->recs[i];
    pids[i] = r->pid;
    statErr[i] = r->stat_err;
    statCall[i] = r->stat_call;
    cmdErr[i] = r->cmd_err;
    cmdCall[i] = r->cmd_call;
    nfds[i] = r->fd_state;
    fdErr[i] = r->fd_err;
    statState[i] = r->stat_ok ? r->stat_state : 0;
    if (r->stat_ok) memcpy(statNums + i * STAT_NUMS, r->stat_nums, sizeof r->stat_nums);
    else memset(statNums + i * STAT_NUMS, 0, sizeof r->stat_nums);
    // A line parsed here goes back as its numbers and its comm, not its text: the census needs
    // nothing else of it, and 2,000 strings of 300 bytes held to the census's end cost the garbage
    // collector more than their parse (docs/benchmarks.md). A line left to the parser: its text.
    if (r->stat_ok) {
      CHECK(napi_set_element(env, stat, (uint32_t)i, str_or_null(env, NULL, 0)));
      CHECK(napi_set_element(env, comm, (uint32_t)i, str_or_null(env, r->stat + r->comm_at, r->comm_len)));
    } else {
      CHECK(napi_set_element(env, stat, (uint32_t)i, str_or_null(env, r->stat, r->stat_len)));
      CHECK(napi_set_element(env, comm, (uint32_t)i, str_or_null(env, NULL, 0)));
    }
    CHECK(napi_set_element(env, cmd, (uint32_t)i, str_or_null(env, r->cmd_err == 0 ? r->cmd : NULL, r->cmd_len)));
    for (int k = 0; k < r->fd_state; k++, f++) {
      fds[f] = r->fds[k];
      CHECK(napi_set_element(env, targets, (uint32_t)f, str_or_null(env, r->targets[k], r->target_lens[k])));
    }
  }
  CHECK(napi_set_named_property(env, out, "stat", stat));
  CHECK(napi_set_named_property(env, out, "comm", comm));
  CHECK(napi_set_named_property(env, out, "cmdline", cmd));
  CHECK(napi_set_named_property(env, out, "targets", targets));
  // The strings are V8's now; the C copies go at once (the handle stays, empty, until collected).
  for (size_t i = 0; i < n; i++) free_rec(&job->recs[i]);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "start", NAPI_AUTO_LENGTH, start, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "start", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "collect", NAPI_AUTO_LENGTH, collect, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "collect", fn) != napi_ok) return NULL;
  return exports;
}
