// The figures' bar chart, with Chart.js. Loaded only on the figures screen.
// Only the pieces a bar chart uses are registered (a smaller bundle, and
// nothing that is not drawn). Chart.js 4 draws into the canvas and sizes it
// through the element's style properties, which the CSP allows; it adds no
// style sheet.

import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Colours of the quarters' bars, each at least 3:1 against white; the table says the same in words. */
const COLOURS = ['#1d5b8a', '#b35c00', '#1b6b3a', '#a1232b', '#5b3f8c', '#4d5761'];

export interface ChartInput {
  /** The values' labels, one group of bars each. */
  labels: string[];
  /** One series per quarter: its name and a count per value, null where nothing is drawn. */
  series: { name: string; counts: (number | null)[] }[];
  /** The axis' title. */
  axis: string;
  rtl: boolean;
}

export interface BarChart {
  update(input: ChartInput): void;
  destroy(): void;
}

function config(input: ChartInput) {
  return {
    type: 'bar' as const,
    data: {
      labels: input.labels,
      datasets: input.series.map((s, i) => ({
        label: s.name,
        data: s.counts,
        backgroundColor: COLOURS[i % COLOURS.length],
        borderColor: '#1b1f23',
        borderWidth: 1,
        maxBarThickness: 64,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false as const,
      // Nothing is computed across bars: a tooltip names one cell only.
      plugins: {
        legend: { rtl: input.rtl, labels: { color: '#1b1f23' } },
        tooltip: { rtl: input.rtl, mode: 'nearest' as const, intersect: true },
      },
      scales: {
        x: { reverse: input.rtl, ticks: { color: '#1b1f23' } },
        y: {
          position: input.rtl ? ('right' as const) : ('left' as const),
          beginAtZero: true,
          ticks: { precision: 0, color: '#1b1f23' },
          title: { display: true, text: input.axis, color: '#1b1f23' },
        },
      },
    },
  };
}

export function drawBars(canvas: HTMLCanvasElement, input: ChartInput): BarChart {
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || Chart.defaults.font.family;
  const chart = new Chart(canvas, config(input));
  return {
    update(next) {
      const c = config(next);
      chart.data = c.data;
      chart.options = c.options;
      chart.update();
    },
    destroy: () => chart.destroy(),
  };
}
