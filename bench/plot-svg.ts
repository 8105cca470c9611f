/**
 * A dependency-free SVG line plot for the benchmarks (Ready count over time and the like).
 * One or more series of (x, y) points on shared axes, with a dashed vertical marker per
 * `markers` entry (e.g. the floor).
 */
export interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  markers?: Array<{ x: number; label: string }>;
  width?: number;
  height?: number;
}

function niceStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function linePlotSvg(options: PlotOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 400;
  const margin = { left: 64, right: 20, top: 36, bottom: 52 };
  const all = options.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]), ...(options.markers ?? []).map((m) => m.x));
  const yMax = Math.max(1, ...all.map((p) => p[1]));
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const sx = (x: number) => margin.left + (x / xMax) * plotW;
  const sy = (y: number) => margin.top + plotH - (y / yMax) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escape(options.title)}</text>`,
  ];
  const xStep = niceStep(xMax, 8);
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(
      `<line x1="${sx(x)}" y1="${margin.top}" x2="${sx(x)}" y2="${margin.top + plotH}" stroke="#eee"/>`,
      `<text x="${sx(x)}" y="${margin.top + plotH + 16}" text-anchor="middle">${+x.toFixed(2)}</text>`,
    );
  }
  const yStep = niceStep(yMax, 6);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    out.push(
      `<line x1="${margin.left}" y1="${sy(y)}" x2="${margin.left + plotW}" y2="${sy(y)}" stroke="#eee"/>`,
      `<text x="${margin.left - 6}" y="${sy(y) + 4}" text-anchor="end">${+y.toFixed(2)}</text>`,
    );
  }
  out.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escape(options.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(options.yLabel)}</text>`,
  );
  for (const m of options.markers ?? []) {
    out.push(
      `<line x1="${sx(m.x)}" y1="${margin.top}" x2="${sx(m.x)}" y2="${margin.top + plotH}" stroke="#c00" stroke-dasharray="5 4"/>`,
      `<text x="${sx(m.x) + 4}" y="${margin.top + 14}" fill="#c00">${escape(m.label)}</text>`,
    );
  }
  options.series.forEach((s, i) => {
    const d = s.points.map((p, j) => `${j === 0 ? "M" : "L"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`);
    out.push(`<path d="${d.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    const ly = margin.top + plotH - 12 - i * 16;
    out.push(
      `<line x1="${margin.left + plotW - 170}" y1="${ly - 4}" x2="${margin.left + plotW - 150}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${margin.left + plotW - 146}" y="${ly}">${escape(s.label)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
