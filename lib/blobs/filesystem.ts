import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BlobStore } from "./index";
import { assertBlobKey } from "./keys";

/** Blobs as files under `<dataDir>/blobs`. Writes go to a temporary name and are renamed, so a
 * reader never sees half a file. */
export class FilesystemBlobStore implements BlobStore {
  private readonly root: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir, "blobs");
  }

  private file(key: string): string {
    return path.join(this.root, ...assertBlobKey(key).split("/"));
  }

  async put(key: string, data: Buffer): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, file);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.file(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.file(key), { force: true })));
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.file(prefix), { recursive: true, force: true });
  }
}
