// GeoJSON helpers of the viewer: parts as arrays of points, bounds, hit tests, measures.
// Geometries of findings and annotations are GeoJSON in drawing coordinates (metres).

/**
 * The parts of a geometry as {points: [[x, y], ...], closed} (rings of polygons are closed;
 * a Point is one part of one point). Unknown or broken geometries give no parts.
 */
export function parts(geom) {
  if (!geom || !Array.isArray(geom.coordinates)) return [];
  const c = geom.coordinates;
  const pts = (list) => (Array.isArray(list) ? list.filter((p) => Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1])) : []);
  switch (geom.type) {
    case "Point":
      return pts([c]).length ? [{ points: [c], closed: false }] : [];
    case "MultiPoint":
      return pts(c).map((p) => ({ points: [p], closed: false }));
    case "LineString":
      return [{ points: pts(c), closed: false }];
    case "MultiLineString":
      return c.map((l) => ({ points: pts(l), closed: false }));
    case "Polygon":
      return c.map((r) => ({ points: pts(r), closed: true }));
    case "MultiPolygon":
      return c.flatMap((poly) => (Array.isArray(poly) ? poly.map((r) => ({ points: pts(r), closed: true })) : []));
    case "GeometryCollection":
      return (geom.geometries || []).flatMap(parts);
    default:
      return [];
  }
}

/** Bounds [x0, y0, x1, y1] of a geometry, or null. */
export function bounds(geom) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const part of parts(geom)) {
    for (const [x, y] of part.points) {
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
  }
  return x0 <= x1 ? [x0, y0, x1, y1] : null;
}

function segmentDistance(p, a, b) {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  const k = len ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len)) : 0;
  return Math.hypot(p[0] - a[0] - k * dx, p[1] - a[1] - k * dy);
}

function inside(p, ring) {
  let yes = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) yes = !yes;
  }
  return yes;
}

/**
 * Distance in screen pixels from the screen point ``p`` to a geometry whose points are mapped
 * to the screen by ``toScreen``; 0 inside a polygon when ``fill`` is true.
 */
export function screenDistance(geom, p, toScreen, fill = true) {
  let best = Infinity;
  for (const part of parts(geom)) {
    const s = part.points.map(([x, y]) => toScreen(x, y));
    if (s.length === 1) best = Math.min(best, Math.hypot(p[0] - s[0][0], p[1] - s[0][1]));
    for (let i = 1; i < s.length; i++) best = Math.min(best, segmentDistance(p, s[i - 1], s[i]));
    if (part.closed && fill && s.length > 2 && inside(p, s)) best = 0;
  }
  return best;
}

/** Length of a polyline in metres. */
export function length(points) {
  let sum = 0;
  for (let i = 1; i < points.length; i++) sum += Math.hypot(points[i][0] - points[i - 1][0], points[i][1] - points[i - 1][1]);
  return sum;
}

/** Area of a simple polygon (shoelace), in square metres. */
export function area(points) {
  let a = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) a += points[j][0] * points[i][1] - points[i][0] * points[j][1];
  return Math.abs(a) / 2;
}

/** A "nice" scale-bar length (1, 2 or 5 × 10^k metres) about ``target`` metres long. */
export function niceLength(target) {
  if (!(target > 0)) return 1;
  const k = Math.floor(Math.log10(target));
  const base = 10 ** k;
  for (const m of [1, 2, 5, 10]) if (m * base >= target) return m * base;
  return 10 * base;
}

/** A length in metres as people write it on drawings (mm, m, km). */
export function formatLength(m) {
  if (m >= 1000) return `${+(m / 1000).toPrecision(4)} km`;
  if (m >= 1) return `${+m.toPrecision(6)} m`;
  return `${+(m * 1000).toPrecision(4)} mm`;
}
