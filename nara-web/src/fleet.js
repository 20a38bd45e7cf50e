// The fleet table's rows and sort, pure (tested in test/fleet.test.mjs). Rows come from
// {base}/api.json: each nara's last NaraStatus (HostStats, Version) and this node's observation.

export const FLEET_COLUMNS = [
  { key: 'name', label: 'Nara', numeric: false },
  { key: 'online', label: 'Status', numeric: false },
  { key: 'cpu', label: 'CPU %', numeric: true },
  { key: 'mem', label: 'Memory (MB)', numeric: true },
  { key: 'uptime', label: 'Host uptime', numeric: true },
  { key: 'load', label: 'Load', numeric: true },
  { key: 'version', label: 'Version', numeric: false },
];

function finite(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** One row per nara with a name; missing or non-numeric figures become null (shown as —). */
export function fleetRows(naras) {
  if (!Array.isArray(naras)) return [];
  return naras
    .filter((n) => n && typeof n.Name === 'string' && n.Name)
    .map((n) => {
      const h = n.HostStats && typeof n.HostStats === 'object' ? n.HostStats : {};
      const row = {
        name: n.Name,
        online: typeof n.Online === 'string' ? n.Online : '',
        cpu: finite(h.ProcCPUPercent),
        mem: finite(h.MemSysMB),
        uptime: finite(h.Uptime),
        load: finite(h.LoadAvg),
        version: typeof n.Version === 'string' ? n.Version : '',
      };
      row.hasStats = Boolean(row.cpu || row.mem || row.uptime || row.load);
      return row;
    });
}

/** Sorted copy: by `key` ascending or descending; unknown figures (null, "") always last; ties
 *  by name. */
export function sortRows(rows, key, dir = 'asc') {
  const sign = dir === 'desc' ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const xe = x === null || x === '';
    const ye = y === null || y === '';
    if (xe !== ye) return xe ? 1 : -1;
    if (!xe && x !== y) {
      const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
      if (c !== 0) return sign * c;
    }
    return a.name.localeCompare(b.name);
  });
}
