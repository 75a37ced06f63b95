// The blob keys of chunks and artifact files (the conventions every reader shares): org first,
// so an org's blobs can be listed or removed together.

/** A chunk sent to chunk-upload, by the sha1 of its (uncompressed) bytes. */
export const chunkKey = (orgId: number, sha1: string) => `chunks/${orgId}/${sha1}`;

/** Every file of one assembled bundle lives under this prefix. */
export const bundlePrefix = (orgId: number, bundleRowId: number) => `artifacts/${orgId}/${bundleRowId}`;

/** The n-th file (in manifest order) of an assembled bundle. */
export const bundleFileKey = (orgId: number, bundleRowId: number, n: number) => `${bundlePrefix(orgId, bundleRowId)}/${n}`;

/** A legacy release file (uploaded one by one, outside any bundle), by its artifact_files id. */
export const releaseFileKey = (orgId: number, artifactFileId: bigint | number) =>
  `artifacts/${orgId}/release-files/${artifactFileId}`;
