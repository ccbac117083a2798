// The drawing canvas: Canvas2D drawing of the vector payload with an offscreen cache.
//
// Why this shape: a 100k-entity plan has ~135,000 polylines and ~750,000 vertices. Stroking
// all of them takes a few hundred milliseconds in a software-rendered canvas, far too slow for
// every frame of a pan. So the line work is drawn once per view into an offscreen bitmap (the
// cache), and while the user pans or zooms every frame only blits that bitmap, moved and
// scaled (one drawImage). When the view rests, the next full drawing is made in slices of a few
// milliseconds per frame into a second bitmap, which replaces the first when it is complete, so
// input stays smooth. Polylines are grouped per layer into spatial cells, each one Path2D
// built on first use, so a zoomed-in view strokes only the cells it sees.
//
// Coordinates: "local" coordinates are the payload's (drawing metres minus head.origin), y up;
// the view is {cx, cy, s}: the local point at the canvas centre and pixels per metre.

const GRID = 12; // cells per side of the spatial grid of each layer
const SIZE_CLASSES = [0.05, 0.2, 1, 5, Infinity]; // metres: polylines grouped by their extent
const MIN_PATH_PX = 0.5; // a cell whose largest polyline is smaller than this is not drawn
const SLICE_MS = 10; // budget of one progressive drawing slice
const IDLE_MS = 90; // a view unchanged this long is drawn in full
const TEXT_ALIGN = ["left", "center", "right"];
const TEXT_BASELINE = ["alphabetic", "bottom", "middle", "top"];
const MIN_TEXT_PX = 3.5; // texts smaller than this on screen are left out
const MAX_TEXT_PX = 3000;
const EM_PER_HEIGHT = 1.25; // DXF text height is about the cap height
const LINE_SPACING = 1.67; // MTEXT: baseline to baseline, in text heights
export const FONT_STACK =
  '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif';

/** Bounds of polyline ``p`` of the payload as [xmin, ymin, xmax, ymax]. */
function pathBounds(coords, offsets, p) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let v = offsets[p]; v < offsets[p + 1]; v++) {
    const x = coords[2 * v], y = coords[2 * v + 1];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

function overlaps(b, r) {
  return b[2] >= r[0] && b[0] <= r[2] && b[3] >= r[1] && b[1] <= r[3];
}

/** One layer's polylines in one grid cell; its Path2D is built when first drawn. */
class Chunk {
  constructor(layer, extent) {
    this.layer = layer;
    this.extent = extent; // no polyline of the chunk is larger than this (metres)
    this.paths = [];
    this.bbox = [Infinity, Infinity, -Infinity, -Infinity];
    this.path2d = null;
  }

  add(p, b) {
    this.paths.push(p);
    const bb = this.bbox;
    if (b[0] < bb[0]) bb[0] = b[0];
    if (b[1] < bb[1]) bb[1] = b[1];
    if (b[2] > bb[2]) bb[2] = b[2];
    if (b[3] > bb[3]) bb[3] = b[3];
  }

  path(coords, offsets) {
    if (this.path2d) return this.path2d;
    const path = new Path2D();
    for (const p of this.paths) {
      const a = offsets[p], b = offsets[p + 1];
      if (b - a < 2) continue; // a single vertex is a point: nothing to stroke
      path.moveTo(coords[2 * a], coords[2 * a + 1]);
      for (let v = a + 1; v < b; v++) path.lineTo(coords[2 * v], coords[2 * v + 1]);
    }
    this.path2d = path;
    this.paths = null;
    return path;
  }
}

export class DrawingCanvas {
  /**
   * @param {HTMLElement} host an element the canvas fills (position: relative)
   * @param {object} hooks {overlay(ctx, canvas), viewChanged(canvas), fullDraw(canvas)}
   */
  constructor(host, hooks) {
    this.host = host;
    this.hooks = hooks || {};
    this.canvas = document.createElement("canvas");
    this.canvas.className = "drawing-canvas";
    this.overlay = document.createElement("canvas");
    this.overlay.className = "drawing-overlay";
    host.append(this.canvas, this.overlay);
    this.cache = document.createElement("canvas");
    this.next = document.createElement("canvas");
    this.cacheView = null;
    this.view = { cx: 0, cy: 0, s: 1 };
    this.width = 1;
    this.height = 1;
    this.dpr = 1;
    this.data = null;
    this.layerOn = [];
    this.job = null;
    this.stale = false;
    this.jump = false;
    this.frame = 0;
    this.lastChange = 0;
    this.fullDraws = 0;
    this.resize();
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(host);
  }

  destroy() {
    this.observer.disconnect();
    cancelAnimationFrame(this.frame);
    this.job = null;
  }

  /** Take a parsed payload; builds the spatial cells (no drawing yet). */
  setPayload(data) {
    this.data = data;
    const { head, coords, offsets } = data;
    const box = head.bbox ? head.bbox.map((v, i) => v - head.origin[i % 2]) : [-1, -1, 1, 1];
    const w = Math.max(box[2] - box[0], 1e-6), hgt = Math.max(box[3] - box[1], 1e-6);
    this.layerOn = head.layers.map((l) => l.plot !== false);
    this.chunks = head.layers.map((layer, li) => {
      const cells = new Map();
      for (let p = layer.pathStart; p < layer.pathStart + layer.paths; p++) {
        const b = pathBounds(coords, offsets, p);
        if (!(b[0] <= b[2])) continue;
        const gx = Math.min(GRID - 1, Math.max(0, Math.floor((((b[0] + b[2]) / 2 - box[0]) / w) * GRID)));
        const gy = Math.min(GRID - 1, Math.max(0, Math.floor((((b[1] + b[3]) / 2 - box[1]) / hgt) * GRID)));
        const size = Math.max(b[2] - b[0], b[3] - b[1]);
        let k = 0;
        while (size > SIZE_CLASSES[k]) k++;
        const key = (gy * GRID + gx) * SIZE_CLASSES.length + k;
        let c = cells.get(key);
        if (!c) cells.set(key, (c = new Chunk(li, SIZE_CLASSES[k])));
        c.add(p, b);
      }
      return [...cells.values()];
    });
    this.cacheView = null;
  }

  /** Local coordinates of a drawing coordinate pair. */
  toLocal(x, y) {
    const o = this.data ? this.data.head.origin : [0, 0];
    return [x - o[0], y - o[1]];
  }

  /** Drawing coordinates of a local pair. */
  toDrawing(x, y) {
    const o = this.data ? this.data.head.origin : [0, 0];
    return [x + o[0], y + o[1]];
  }

  /** Screen (CSS pixels in the canvas) of a local point. */
  toScreen(x, y, view = this.view) {
    return [(x - view.cx) * view.s + this.width / 2, this.height / 2 - (y - view.cy) * view.s];
  }

  /** Local point under a screen point. */
  toWorld(sx, sy, view = this.view) {
    return [(sx - this.width / 2) / view.s + view.cx, view.cy - (sy - this.height / 2) / view.s];
  }

  /** The local rectangle the view shows, [x0, y0, x1, y1]. */
  visibleRect(view = this.view) {
    const hw = this.width / 2 / view.s, hh = this.height / 2 / view.s;
    return [view.cx - hw, view.cy - hh, view.cx + hw, view.cy + hh];
  }

  /** Show the drawing rectangle [x0, y0, x1, y1] (drawing coordinates) with a margin. */
  fitDrawingBox(box, margin = 0.04) {
    const [x0, y0] = this.toLocal(box[0], box[1]);
    const [x1, y1] = this.toLocal(box[2], box[3]);
    const w = Math.max(Math.abs(x1 - x0), 1e-3), h = Math.max(Math.abs(y1 - y0), 1e-3);
    const s = Math.min(this.width / (w * (1 + 2 * margin)), this.height / (h * (1 + 2 * margin)));
    this.setView({ cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, s }, true);
  }

  /**
   * Show ``view``. A ``jump`` (fit, sheet, selected item) is drawn in full at the next frame:
   * the last picture moved that far would only be a blur; pans and wheel steps blit it.
   */
  setView(view, jump = false) {
    const s = Math.min(Math.max(view.s, 1e-4), 1e6);
    this.view = { cx: view.cx, cy: view.cy, s };
    if (jump) this.jump = true;
    this.changed();
  }

  panBy(dx, dy) {
    this.setView({ cx: this.view.cx - dx / this.view.s, cy: this.view.cy + dy / this.view.s, s: this.view.s });
  }

  /** Zoom by ``factor`` keeping the point under (sx, sy) in place. */
  zoomAt(sx, sy, factor) {
    const [wx, wy] = this.toWorld(sx, sy);
    const s = Math.min(Math.max(this.view.s * factor, 1e-4), 1e6);
    const cx = wx - (sx - this.width / 2) / s;
    const cy = wy + (sy - this.height / 2) / s;
    this.setView({ cx, cy, s });
  }

  /** Which layers are drawn (by index in head.layers). */
  setLayerVisibility(on) {
    this.layerOn = on.slice();
    this.stale = true;
    this.changed();
  }

  resize() {
    const r = this.host.getBoundingClientRect();
    this.width = Math.max(1, Math.round(r.width));
    this.height = Math.max(1, Math.round(r.height));
    this.dpr = window.devicePixelRatio || 1;
    for (const c of [this.canvas, this.overlay, this.cache, this.next]) {
      c.width = Math.round(this.width * this.dpr);
      c.height = Math.round(this.height * this.dpr);
    }
    for (const c of [this.canvas, this.overlay]) {
      c.style.width = `${this.width}px`;
      c.style.height = `${this.height}px`;
    }
    this.cacheView = null;
    this.changed();
  }

  /** The view or the content changed: blit now, draw in full once the view rests. */
  changed() {
    this.lastChange = performance.now();
    this.job = null;
    this.schedule();
  }

  /** Only the overlay changed (annotations, selection, tools). */
  overlayChanged() {
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame((t) => this.tick(t));
  }

  tick() {
    this.frame = 0;
    if (!this.data) {
      this.drawOverlay();
      return;
    }
    const now = performance.now();
    if (this.cacheView === null || this.jump) {
      this.jump = false;
      this.drawAllNow(); // nothing to show yet (first view, new size, a jump): draw at once
    } else if (this.stale || !this.sameView(this.cacheView, this.view)) {
      if (!this.job && now - this.lastChange >= IDLE_MS) this.job = this.startJob(this.view);
      if (this.job && this.runJob(this.job, now + SLICE_MS)) this.finishJob();
      else this.schedule();
    }
    this.blit();
    this.drawOverlay();
    if (this.hooks.viewChanged) this.hooks.viewChanged(this);
  }

  sameView(a, b) {
    return a !== null && a.cx === b.cx && a.cy === b.cy && a.s === b.s;
  }

  /** The first drawing: all at once (fastest to a complete picture). */
  drawAllNow() {
    const job = this.startJob(this.view);
    this.runJob(job, Infinity);
    this.job = job;
    this.finishJob();
  }

  startJob(view) {
    const ctx = this.next.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, this.next.width, this.next.height);
    const rect = this.visibleRect(view);
    const items = [];
    const layers = this.data.head.layers;
    for (let li = 0; li < layers.length; li++) {
      if (!this.layerOn[li]) continue;
      for (const c of this.chunks[li]) {
        // polylines far below a pixel are invisible anyway: leave them out of the picture
        if (c.extent * view.s >= MIN_PATH_PX && overlaps(c.bbox, rect)) items.push(c);
      }
      if (layers[li].texts) items.push({ texts: li });
    }
    return { view: { ...view }, rect, items, i: 0, ctx };
  }

  /** Draw items of ``job`` until ``deadline``; true when the job is complete. */
  runJob(job, deadline) {
    const { ctx, view } = job;
    const { coords, offsets, head } = this.data;
    const d = this.dpr;
    while (job.i < job.items.length) {
      const item = job.items[job.i++];
      if (item.texts !== undefined) {
        this.drawTexts(ctx, item.texts, view, job.rect);
      } else {
        ctx.setTransform(d * view.s, 0, 0, -d * view.s, d * (this.width / 2 - view.cx * view.s), d * (this.height / 2 + view.cy * view.s));
        ctx.lineWidth = 1 / view.s;
        ctx.strokeStyle = head.palette[head.layers[item.layer].colour] || "#444444";
        ctx.stroke(item.path(coords, offsets));
      }
      if (performance.now() > deadline) return job.i >= job.items.length;
    }
    return true;
  }

  drawTexts(ctx, li, view, rect) {
    const { texts, aligns, strings, head } = this.data;
    const layer = head.layers[li];
    const d = this.dpr;
    ctx.fillStyle = head.palette[head.textColour] || "#222222";
    ctx.textBaseline = "alphabetic";
    let font = "";
    for (let k = layer.textStart; k < layer.textStart + layer.texts; k++) {
      const x = texts[4 * k], y = texts[4 * k + 1], height = texts[4 * k + 2], rot = texts[4 * k + 3];
      const px = height * view.s;
      if (px < MIN_TEXT_PX || px > MAX_TEXT_PX) continue;
      const text = strings[k];
      const reach = height * (text.length + 2) * 1.2;
      if (x + reach < rect[0] || x - reach > rect[2] || y + reach < rect[1] || y - reach > rect[3]) continue;
      const size = Math.max(1, Math.round(px * EM_PER_HEIGHT * d));
      const f = `${size}px ${FONT_STACK}`;
      if (f !== font) ctx.font = font = f;
      const sx = ((x - view.cx) * view.s + this.width / 2) * d;
      const sy = (this.height / 2 - (y - view.cy) * view.s) * d;
      ctx.setTransform(1, 0, 0, 1, sx, sy);
      if (rot) ctx.rotate((-rot * Math.PI) / 180);
      const lines = text.split("\n");
      // which point of the text x, y is: 4 × h + v (viewer/vector.py); older payloads have
      // no aligns: left baseline, or top left for several lines
      const code = aligns ? aligns[k] : lines.length > 1 ? 3 : 0;
      ctx.textAlign = TEXT_ALIGN[code >> 2] || "left";
      const em = px * d, step = em * LINE_SPACING;
      const v = code & 3;
      // baseline of the first line below the anchor: top → one em; middle → half the block
      // above that; bottom or baseline → the last line's baseline on the anchor
      const first = v === 3 ? em : v === 2 ? em - (em + step * (lines.length - 1)) / 2 : -step * (lines.length - 1);
      if (lines.length === 1 && v !== 3) {
        ctx.textBaseline = TEXT_BASELINE[v];
        ctx.fillText(text, 0, 0);
        ctx.textBaseline = "alphabetic";
      } else lines.forEach((line, n) => ctx.fillText(line, 0, first + n * step));
    }
    ctx.textAlign = "left";
  }

  finishJob() {
    const job = this.job;
    this.job = null;
    [this.cache, this.next] = [this.next, this.cache];
    this.cacheView = job.view;
    this.stale = false;
    this.fullDraws += 1;
    if (this.hooks.fullDraw) this.hooks.fullDraw(this);
  }

  /** The cached bitmap, moved and scaled to the current view. */
  blit() {
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.cacheView) return;
    const cv = this.cacheView, v = this.view;
    const k = v.s / cv.s;
    const [x0, y0] = this.toWorld(0, 0, cv);
    const [sx, sy] = this.toScreen(x0, y0, v);
    const d = this.dpr;
    ctx.imageSmoothingEnabled = true; // a soft preview until the full drawing replaces it
    ctx.drawImage(this.cache, sx * d, sy * d, this.cache.width * k, this.cache.height * k);
  }

  drawOverlay() {
    const ctx = this.overlay.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    if (this.hooks.overlay) this.hooks.overlay(ctx, this);
  }

  /** Make sure the canvas finished rasterising (used to time the first complete view). */
  flush() {
    this.canvas.getContext("2d").getImageData(0, 0, 1, 1);
  }
}
