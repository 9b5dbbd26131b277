/**
 * Whether the device is online, from `navigator.onLine` and the `online`/`offline` events of the
 * global scope when the host has them (browsers and service workers); always online otherwise
 * (Node), unless the application passes its own.
 */

/** @typedef {(type: 'online' | 'offline', listener: () => void) => void} Listen */

/** @returns {import('../index.js').NetworkStatus} */
export function hostNetwork() {
  const scope = /** @type {{ navigator?: { onLine?: unknown }, addEventListener?: Listen, removeEventListener?: Listen }} */ (
    /** @type {unknown} */ (globalThis)
  );
  return {
    online: () => scope.navigator?.onLine !== false,
    onChange: (listener) => {
      if (typeof scope.addEventListener !== 'function' || typeof scope.removeEventListener !== 'function') return () => undefined;
      const online = () => listener(true);
      const offline = () => listener(false);
      scope.addEventListener('online', online);
      scope.addEventListener('offline', offline);
      return () => {
        scope.removeEventListener?.('online', online);
        scope.removeEventListener?.('offline', offline);
      };
    },
  };
}
