// Draws the tab bar's icons (会员卡, 优惠券, 活动, 我的) as 81×81 PNGs, grey and brand green, into
// src/assets/tabbar/. WeChat's tabBar takes only PNG/JPG files (no SVG, no icon font), at most 40 KB each;
// drawn from shapes here so they stay a few hundred bytes and change by editing code, not by hand.
// Run `node miniprogram/scripts/tabbar-icons.mjs` after changing a shape and commit the PNGs.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 81;
const COLOURS = { normal: [0x8a, 0x91, 0x9f], active: [0x07, 0xc1, 0x60] };
const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/assets/tabbar');

// Signed distances (negative inside), in pixels of the 81-px canvas.
const box = (x, y, cx, cy, hw, hh, r) => {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const circle = (x, y, cx, cy, r) => Math.hypot(x - cx, y - cy) - r;
const ring = (d, width) => Math.abs(d) - width / 2; // an outline of the shape d
const union = (...ds) => Math.min(...ds);
const cut = (d, hole) => Math.max(d, -hole);

const STROKE = 5;
const shapes = {
  // A card: rounded outline with a magnetic stripe.
  card: (x, y) => union(ring(box(x, y, 40.5, 40.5, 30, 21, 6), STROKE), box(x, y, 40.5, 32, 30, 2.5, 0)),
  // A coupon: a ticket with a notch on each side and a dashed tear line.
  coupon: (x, y) => {
    const ticket = ring(cut(cut(box(x, y, 40.5, 40.5, 30, 20, 5), circle(x, y, 10.5, 40.5, 7)), circle(x, y, 70.5, 40.5, 7)), STROKE);
    const dashes = Math.floor((y - 24) / 7) % 2 === 0 && y > 24 && y < 57 ? box(x, y, 52, 40.5, 1.8, 17, 0) : 1e9;
    return union(ticket, dashes);
  },
  // An activity: a calendar page with two rings and a star-like dot for the day.
  activity: (x, y) =>
    union(
      ring(box(x, y, 40.5, 44, 27, 24, 6), STROKE),
      box(x, y, 40.5, 30, 27, 2.5, 0),
      box(x, y, 28, 18, 2.5, 7, 2.5),
      box(x, y, 53, 18, 2.5, 7, 2.5),
      circle(x, y, 40.5, 49, 6),
    ),
  // Me: a head and shoulders.
  mine: (x, y) => union(ring(circle(x, y, 40.5, 28, 12), STROKE), ring(cut(circle(x, y, 40.5, 72, 27), box(x, y, 40.5, 78, 40, 8, 0)), STROKE)),
};

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An RGBA PNG of the shape in one colour; alpha from 4×4 supersampling for smooth edges. */
function png(shape, [r, g, b]) {
  const rows = [];
  for (let y = 0; y < SIZE; y++) {
    const row = Buffer.alloc(1 + SIZE * 4); // filter byte 0, then RGBA
    for (let x = 0; x < SIZE; x++) {
      let covered = 0;
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) if (shape(x + (sx + 0.5) / 4, y + (sy + 0.5) / 4) <= 0) covered++;
      row.set([r, g, b, Math.round((covered / 16) * 255)], 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

mkdirSync(outDir, { recursive: true });
for (const [name, shape] of Object.entries(shapes)) {
  for (const [state, colour] of Object.entries(COLOURS)) {
    const file = path.join(outDir, state === 'active' ? `${name}-active.png` : `${name}.png`);
    const body = png(shape, colour);
    writeFileSync(file, body);
    console.log(`${path.relative(process.cwd(), file)} ${body.length} B`);
  }
}
