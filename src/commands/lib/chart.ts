import { existsSync } from 'node:fs';
import type { SKRSContext2D } from '@napi-rs/canvas';

/** Loaded on first use: the bot starts (and every other command works) even where the native binary is missing. */
const canvasModule = () => import('@napi-rs/canvas');

/** A bar chart: one bar per label. */
export interface BarChartSpec {
  title: string;
  subtitle?: string;
  labels: string[];
  values: number[];
  width?: number;
  height?: number;
}

const FAMILY = 'Chronicle Sans';
const FONT_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/TTF/DejaVuSans.ttf', '/usr/share/fonts/dejavu/DejaVuSans.ttf'];
let family: string | undefined;

/**
 * The font family to draw text with: DejaVu Sans registered from disk when present, else whatever
 * the system offers. With no font at all the text is simply not drawn; the PNG is still valid.
 */
function fontFamily(GlobalFonts: Awaited<ReturnType<typeof canvasModule>>['GlobalFonts']): string {
  if (family) return family;
  for (const file of FONT_FILES) {
    try {
      if (existsSync(file) && GlobalFonts.registerFromPath(file, FAMILY)) return (family = FAMILY);
    } catch {
      // try the next one
    }
  }
  return (family = 'sans-serif');
}

const COLORS = { background: '#ffffff', text: '#1f2328', muted: '#57606a', grid: '#d0d7de', bar: '#5865f2' };

/** Renders the chart as PNG bytes, without a browser (Skia via @napi-rs/canvas). */
export async function renderBarChart(spec: BarChartSpec): Promise<Buffer> {
  const width = spec.width ?? 900;
  const height = spec.height ?? 420;
  const { createCanvas, GlobalFonts } = await canvasModule();
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  const font = fontFamily(GlobalFonts);
  g.fillStyle = COLORS.background;
  g.fillRect(0, 0, width, height);

  g.fillStyle = COLORS.text;
  g.font = `bold 20px "${font}"`;
  g.textBaseline = 'top';
  g.fillText(spec.title, 20, 16);
  if (spec.subtitle) {
    g.fillStyle = COLORS.muted;
    g.font = `13px "${font}"`;
    g.fillText(spec.subtitle, 20, 42);
  }

  const plot = { left: 64, top: 72, right: width - 20, bottom: height - 44 };
  const max = niceMax(Math.max(0, ...spec.values));
  drawGrid(g, plot, max, font);
  drawBars(g, plot, spec, max, font);
  return canvas.encode('png');
}

type Box = { left: number; top: number; right: number; bottom: number };

function drawGrid(g: SKRSContext2D, plot: Box, max: number, font: string): void {
  const steps = 4;
  g.font = `12px "${font}"`;
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (let k = 0; k <= steps; k++) {
    const y = plot.bottom - ((plot.bottom - plot.top) * k) / steps;
    g.strokeStyle = COLORS.grid;
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(plot.left, Math.round(y) + 0.5);
    g.lineTo(plot.right, Math.round(y) + 0.5);
    g.stroke();
    g.fillStyle = COLORS.muted;
    g.fillText(String((max * k) / steps), plot.left - 8, y);
  }
}

function drawBars(g: SKRSContext2D, plot: Box, spec: BarChartSpec, max: number, font: string): void {
  const n = Math.max(1, spec.labels.length);
  const slot = (plot.right - plot.left) / n;
  const barWidth = Math.max(1, slot * 0.7);
  // Label every k-th bar so labels (about 44 px wide) never overlap.
  const every = Math.max(1, Math.ceil(44 / slot));
  g.font = `11px "${font}"`;
  g.textAlign = 'center';
  for (let i = 0; i < spec.labels.length; i++) {
    const v = spec.values[i] ?? 0;
    const x = plot.left + slot * i + (slot - barWidth) / 2;
    const h = max ? ((plot.bottom - plot.top) * v) / max : 0;
    g.fillStyle = COLORS.bar;
    g.fillRect(x, plot.bottom - h, barWidth, h);
    if (v > 0 && slot >= 18) {
      g.fillStyle = COLORS.text;
      g.textBaseline = 'bottom';
      g.fillText(String(v), x + barWidth / 2, plot.bottom - h - 2);
    }
    if (i % every === 0) {
      g.fillStyle = COLORS.muted;
      g.textBaseline = 'top';
      g.fillText(spec.labels[i], x + barWidth / 2, plot.bottom + 8);
    }
  }
}

/** A round axis maximum ≥ v that splits into 4 whole-number steps (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k per step). */
export function niceMax(v: number): number {
  if (v <= 4) return 4;
  const step = v / 4;
  const mag = 10 ** Math.floor(Math.log10(step));
  const nice = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * mag).find((s) => s >= step && Number.isInteger(s))!;
  return nice * 4;
}
