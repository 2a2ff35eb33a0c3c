/** A validator's JSON pointer (`/limits/cpus`) as the dotted setting name people write (`limits.cpus`); '' for the root. */
export function dottedPath(pointer: string): string {
  return pointer.replace(/^\//, '').replace(/\//g, '.');
}
