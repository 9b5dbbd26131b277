/**
 * API Gateway's route selection for WebSocket messages: evaluate the API's RouteSelectionExpression
 * (`$request.body.<path>`) on the JSON frame; anything that is not JSON, or whose value names no
 * route, goes to `$default`.
 */

const BODY_EXPRESSION = /^\$request\.body\.([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)$/;

export function compileRouteSelection(expression: string): (body: string) => string | undefined {
  const match = BODY_EXPRESSION.exec(expression);
  if (!match) {
    // A constant expression (e.g. "$default") selects that route for every message.
    if (!expression.startsWith('$request.')) return () => expression;
    throw new Error(`RouteSelectionExpression ${expression} is not supported locally (use $request.body.<field>)`);
  }
  const path = match[1]!.split('.');
  return (body) => {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
    for (const key of path) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
  };
}

export function selectRoute(selected: string | undefined, routeKeys: ReadonlySet<string> | Map<string, unknown>): string | undefined {
  if (selected !== undefined && !selected.startsWith('$') && routeKeys.has(selected)) return selected;
  return routeKeys.has('$default') ? '$default' : undefined;
}
