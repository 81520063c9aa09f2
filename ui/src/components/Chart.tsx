import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Mark } from '../lib/marks';

interface Props {
  title: string;
  unit: string;
  data: [number[], ...(number | null)[][]];
  color: string;
  /** Labels and colours of further series in data (after the first), e.g. p95 and max. */
  extra?: Array<{ label: string; color: string }>;
  /** Events to mark with a vertical line and a label: failovers of this path (dashed), its BFD state changes (dotted). */
  marks?: Mark[];
  /** The time axis, unix seconds [from, to]: the whole range even where there is no data yet. */
  window: [number, number];
}

/** One uPlot time series with a real time axis; resized with its box; redrawn (not rebuilt) on new data. */
export function Chart({ title, unit, data, color, extra = [], marks = [], window }: Props) {
  const markTimes = useRef(marks);
  markTimes.current = marks;
  const span = useRef(window);
  span.current = window;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 180,
      scales: { x: { time: true, range: () => span.current } },
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.4)' } },
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.4)' }, size: 76, values: (_u, v) => v.map((x) => `${x} ${unit}`) },
      ],
      series: [
        {},
        { label: title, stroke: color, width: 1.5, spanGaps: false },
        ...extra.map((x) => ({ label: x.label, stroke: x.color, width: 1, dash: [4, 4], spanGaps: false })),
      ],
      hooks: {
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            ctx.save();
            ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
            let lastLabelEnd = -Infinity;
            for (const m of markTimes.current) {
              const x = u.valToPos(m.t, 'x', true);
              if (x < bbox.left || x > bbox.left + bbox.width) continue;
              const colour = m.kind === 'bfd' ? '#7048e8' : '#d9480f';
              ctx.strokeStyle = colour;
              ctx.fillStyle = colour;
              ctx.setLineDash(m.kind === 'bfd' ? [2, 3] : [4, 3]);
              ctx.beginPath();
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
              // Labels that would overlap the previous one are left out (the list below the charts has them all).
              if (x > lastLabelEnd) {
                ctx.fillText(m.label, x + 3, bbox.top + 12 * devicePixelRatio);
                lastLabelEnd = x + ctx.measureText(m.label).width + 6;
              }
            }
            ctx.restore();
          },
        ],
      },
    };
    plot.current = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, el.clientWidth), height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [title, unit, color, extra.length]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data, marks, window]);

  return (
    <figure class="chart">
      <figcaption>{title}{extra.length > 0 && <span class="muted"> — average (solid), {extra.map((x) => x.label).join(', ')} (dashed)</span>}</figcaption>
      <div ref={box} role="img" aria-label={`${title} over time`} />
    </figure>
  );
}
