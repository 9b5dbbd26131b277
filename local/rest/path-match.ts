/** API Gateway resource paths: `/presence/{userId}` matches one segment, `{proxy+}` the rest of the path. */

export type PathMatcher = (path: string) => Record<string, string> | undefined;

export function compilePath(resourcePath: string): PathMatcher {
  const names: string[] = [];
  const pattern = resourcePath
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_.-]+)(\+)?\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  const regex = new RegExp(`^${pattern}/?$`);
  return (path) => {
    const match = regex.exec(path);
    if (!match) return undefined;
    // API Gateway passes path parameters still URL-encoded; handlers decode them.
    return Object.fromEntries(names.map((name, i) => [name, match[i + 1]!]));
  };
}
