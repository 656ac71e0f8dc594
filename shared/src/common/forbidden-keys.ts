/**
 * Finds the first key that starts with `$` or contains `.` anywhere in a JSON value and returns its path
 * (e.g. `segment.tags[0].$ne`), or null. Such keys are refused in every body and query because MongoDB
 * would read them as operators or dotted paths.
 */
export function findForbiddenKey(value: unknown): string | null {
  // Iterative, so a deeply nested body cannot overflow the stack.
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  while (pending.length > 0) {
    const { value: current, path } = pending.pop()!;
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) {
        pending.push({ value: current[index], path: `${path}[${index}]` });
      }
    } else if (current !== null && typeof current === 'object') {
      const keys = Object.keys(current);
      for (const key of keys) {
        if (isForbiddenKey(key)) return joinPath(path, key);
      }
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index]!;
        pending.push({ value: (current as Record<string, unknown>)[key], path: joinPath(path, key) });
      }
    }
  }
  return null;
}

function isForbiddenKey(key: string): boolean {
  return key.startsWith('$') || key.includes('.');
}

function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
