import { Component } from 'preact';

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
