// Pieces every screen uses: the app's shared state (who I am, the practice, the closed lists,
// a counter that moves when the data changed), loading a screen's data, labelled fields, error
// lines, a small bar chart and a QR code.

import { createContext } from 'preact';
import { useContext, useEffect, useId, useMemo, useState } from 'preact/hooks';
import { encode } from 'uqr';

/// `{me, workspace, choices, version, refresh, navigate, notify}` (main.jsx provides it).
export const App = createContext(null);
export const useApp = () => useContext(App);

/// Loads `load()` now and again whenever the data changed; `[value, error, reload]`.
export function useData(load, deps = []) {
  const { version } = useApp();
  const [value, setValue] = useState(undefined);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (v) => live && (setValue(v), setError(null)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [version, tick, ...deps]);
  return [value, error, () => setTick((t) => t + 1)];
}

/// Runs an action for a form: `[run, busy, error]`; `run(fn)` shows fn's error instead of
/// throwing it, and resolves to its result (undefined on error).
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return [run, busy, error];
}

/// An error for the user, read out by screen readers when it appears.
export function ErrorLine({ error }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.message ?? String(error)}
    </p>
  );
}

/// A labelled input; `hint` is read with it.
export function Field({ label, hint, multiline, children, ...input }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const Tag = multiline ? 'textarea' : 'input';
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children ?? <Tag id={id} aria-describedby={hintId} {...input} />}
      {hint && (
        <small id={hintId} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/// A labelled select over `options` ([value, text] pairs or names).
export function Select({ label, options, value, onChange, ...rest }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)} {...rest}>
        {options.map((o) => {
          const [v, text] = Array.isArray(o) ? o : [o, o];
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </div>
  );
}

/// A screen's title and its data's state while loading or failed.
export function Screen({ title, error, loading, actions, children }) {
  useEffect(() => {
    document.title = `${title} · Trellis`;
  }, [title]);
  return (
    <section class="screen" aria-labelledby="screen-title">
      <header class="screen-head">
        <h1 id="screen-title" tabIndex={-1}>
          {title}
        </h1>
        {actions}
      </header>
      <ErrorLine error={error} />
      {loading && !error ? <p class="muted">Loading…</p> : children}
    </section>
  );
}

/// Horizontal bars: `rows` of {label, value}; `goal` draws a line at that value.
export function Bars({ rows, goal, unit = '', title }) {
  const max = Math.max(goal ?? 0, ...rows.map((r) => r.value), 1);
  const rowH = 28;
  const labelW = 110;
  const width = 520;
  const barW = width - labelW - 60;
  const height = rows.length * rowH + 8;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
        {rows.map((r, i) => (
          <g key={r.label} transform={`translate(0 ${i * rowH + 4})`}>
            <text x={labelW - 8} y={rowH / 2 + 4} text-anchor="end" class="chart-label">
              {r.label}
            </text>
            <rect x={labelW} y={4} width={Math.max(1, (r.value / max) * barW)} height={rowH - 10} class={r.met ? 'bar met' : 'bar'} />
            <text x={labelW + (r.value / max) * barW + 6} y={rowH / 2 + 4} class="chart-value">
              {r.value}
              {unit}
            </text>
          </g>
        ))}
        {goal ? <line x1={labelW + (goal / max) * barW} x2={labelW + (goal / max) * barW} y1={0} y2={height} class="goal" /> : null}
      </svg>
      <figcaption>
        {title}
        {goal ? ` (goal ${goal}${unit})` : ''}
      </figcaption>
    </figure>
  );
}

/// A QR code of `text` as SVG (drawn here: no `data:` image, which the page's policy refuses),
/// named `label` for screen readers; a sentence instead when the text is too long for one.
export function QrCode({ text, label, class: extra = '' }) {
  const qr = useMemo(() => {
    try {
      return encode(text, { ecc: 'L', border: 2 });
    } catch {
      return null;
    }
  }, [text]);
  if (!qr) return <p class="muted">Too long for a QR code.</p>;
  const size = qr.size;
  const path = [];
  qr.data.forEach((row, y) => row.forEach((on, x) => on && path.push(`M${x} ${y}h1v1h-1z`)));
  return (
    <svg class={`qr ${extra}`.trim()} viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={size} height={size} class="qr-bg" />
      <path d={path.join('')} class="qr-fg" />
    </svg>
  );
}
