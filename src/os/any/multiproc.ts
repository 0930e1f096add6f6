// prometheus_client's multiprocess files (prometheus_client/values.py, mmap_dict.py): one
// `{type}_{pid}.db` per process and metric type in PROMETHEUS_MULTIPROC_DIR: counter, histogram,
// summary, and gauge_{mode} (all, liveall, livesum, max, min, sum, mostrecent, livemostrecent).

export interface MultiprocFileName {
  /** `counter`, `histogram`, `summary`, `gauge_livesum`, … */
  type: string;
  pid: number;
  /** A live-mode gauge file (gauge_live*): mark_process_dead(pid) removes it when the process exits. */
  liveGauge: boolean;
}

export function parseMultiprocFileName(name: string): MultiprocFileName | null {
  const m = /^(counter|histogram|summary|gauge_[a-z]+)_(\d+)\.db$/.exec(name);
  if (!m) return null;
  const pid = Number(m[2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  return { type: m[1]!, pid, liveGauge: m[1]!.startsWith('gauge_live') };
}
