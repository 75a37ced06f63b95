import path from "node:path";

export function binPath(name: string): string {
  return path.resolve("node_modules", ".bin", name);
}
