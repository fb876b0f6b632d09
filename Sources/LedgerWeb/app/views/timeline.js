// The custody chain as a timeline drawn to scale: one band per holder, from each step's recorded time to the next
// (the last to now), so a long wait in transit or a long check-out shows as long.

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#0b4f9c", "#146c2e", "#8a4b00", "#6b2c91", "#00696f", "#9c1f5a"];

function node(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** An SVG timeline of the steps (each `{time, type, by}`), holder by holder, with the whole span's dates. */
export function timeline(steps, now = Date.now()) {
  const times = steps.map((step) => Date.parse(step.time));
  const start = Math.min(...times);
  const end = Math.max(now, ...times);
  const span = Math.max(end - start, 60_000);
  const width = 900;
  const left = 10;
  const usable = width - 2 * left;
  const x = (time) => left + ((time - start) / span) * usable;
  const holders = [];
  const svg = node("svg", { viewBox: `0 0 ${width} 110`, class: "timeline", role: "img",
    "aria-label": `Custody timeline from ${new Date(start).toISOString().slice(0, 16)} to ${new Date(end).toISOString().slice(0, 16)}: ` +
      steps.map((step) => `${step.time.slice(0, 16)} ${step.type} by ${step.by}`).join("; ") });
  steps.forEach((step, index) => {
    const from = times[index];
    const to = index + 1 < steps.length ? times[index + 1] : end;
    if (!holders.includes(step.by)) holders.push(step.by);
    const colour = COLOURS[holders.indexOf(step.by) % COLOURS.length];
    const transit = step.type === "custody.released";
    svg.append(node("rect", {
      x: x(from), y: 30, width: Math.max(2, x(to) - x(from)), height: 26, fill: transit ? "#fff" : colour,
      stroke: colour, "stroke-width": 2, "stroke-dasharray": transit ? "5 3" : "0",
    }));
    svg.append(node("line", { x1: x(from), x2: x(from), y1: 22, y2: 64, stroke: "#1b1f24", "stroke-width": 1 }));
  });
  svg.append(
    node("text", { x: left, y: 84, "font-size": 12 }, new Date(start).toISOString().slice(0, 16).replace("T", " ")),
    node("text", { x: width - left, y: 84, "font-size": 12, "text-anchor": "end" }, new Date(end).toISOString().slice(0, 16).replace("T", " ")),
  );
  holders.forEach((holder, index) => {
    svg.append(
      node("rect", { x: left + index * 150, y: 94, width: 12, height: 12, fill: COLOURS[index % COLOURS.length] }),
      node("text", { x: left + index * 150 + 16, y: 105, "font-size": 12 }, holder),
    );
  });
  return svg;
}
