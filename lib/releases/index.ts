// The releases of an org: lists and details (read), creation and updates from the REST API
// (manage), deploys and commits. Every export that touches an org's data takes a Viewer and
// checks it.
export * from "./commits";
export * from "./deploys";
export * from "./detail";
export * from "./list";
export * from "./manage";
export * from "./project";
