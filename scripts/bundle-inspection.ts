/**
 * Reads an esbuild bundle (and its source map) without loading it: loading a handler would create its
 * Redis/PostgreSQL clients at module scope, and the bundles require their npm packages from the layer.
 *
 * - bundledPackages: npm packages whose code esbuild copied INTO the bundle (source map `sources`).
 * - requiredPackages: npm packages the bundle loads at runtime (`require("x")` / `import("x")`), i.e. from
 *   the layer on Lambda. Node built-ins are left out.
 * Together they say which packages a function depends on, so a check can assert, e.g., that a package is
 * in no bundle at all.
 */
import { builtinModules } from 'node:module';

const BUILTINS = new Set(builtinModules);

/** `@scope/name/sub/path` -> `@scope/name`, `name/sub` -> `name`; undefined for relative/absolute paths. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  const parts = specifier.split('/');
  if (specifier.startsWith('@')) return parts.length >= 2 && parts[1] ? `${parts[0]}/${parts[1]}` : undefined;
  return parts[0] || undefined;
}

export function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0] ?? '');
}

/** Packages a bundle loads at runtime, sorted. */
export function requiredPackages(bundle: string): string[] {
  const found = new Set<string>();
  for (const match of bundle.matchAll(/\b(?:require|import)\(\s*(["'`])([^"'`]+)\1\s*\)/g)) {
    const specifier = match[2] ?? '';
    if (isBuiltin(specifier)) continue;
    const name = packageOf(specifier);
    if (name) found.add(name);
  }
  return [...found].sort();
}

export interface SourceMap {
  sources: string[];
}

/** Packages whose files esbuild bundled (any `node_modules/<package>/` in the map's sources), sorted. */
export function bundledPackages(map: SourceMap): string[] {
  const found = new Set<string>();
  for (const source of map.sources) {
    const normalized = source.replace(/\\/g, '/');
    const at = normalized.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const name = packageOf(normalized.slice(at + 'node_modules/'.length));
    if (name) found.add(name);
  }
  return [...found].sort();
}

/**
 * Whether the bundle exports `name`: esbuild's CommonJS output registers exports as getters on the
 * module object (`__export(target, { handler: () => value })`, then `module.exports = ...`); its ESM
 * output ends with `export { value as handler }`.
 */
export function exportsName(bundle: string, name: string): boolean {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return false;
  const escaped = name.replace(/\$/g, '\\$');
  const commonJs = new RegExp(`[{,]\\s*${escaped}\\s*:\\s*\\(\\)\\s*=>`).test(bundle) && /\bmodule\.exports\s*=/.test(bundle);
  const esm = new RegExp(`\\bexport\\s*\\{[^}]*\\b(?:as\\s+)?${escaped}\\s*[,}]`).test(bundle);
  return commonJs || esm;
}
