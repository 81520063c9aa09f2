import { Component, options } from 'preact';

/** Props equal by reference, key by key (what re-rendering a row would not change). */
export function shallowEqual(a: object, b: object): boolean {
  const ka = Object.keys(a) as Array<keyof typeof a>;
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * A component that renders again only when a prop changed (by reference): with a thousand rows
 * and a handful of them updated per frame, the others cost one comparison each instead of a
 * render and a diff. (preact/compat's memo does this too, at the price of the compat layer.)
 */
export abstract class Pure<P extends object> extends Component<P> {
  shouldComponentUpdate(next: P): boolean {
    return !shallowEqual(this.props as object, next);
  }
}

/**
 * Runs fn (a forceUpdate or setState) with Preact rendering at once instead of in a microtask: a
 * caller that bounds its work by the clock (the row and mount slicers) reads it after each render.
 */
export function renderNow(fn: () => void): void {
  const before = options.debounceRendering;
  options.debounceRendering = (render) => render();
  try {
    fn();
  } finally {
    options.debounceRendering = before;
  }
}
