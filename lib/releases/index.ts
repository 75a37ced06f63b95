// The releases of an org: lists and details (read), creation and updates from the REST API
// (manage), deploys and commits. Every export takes a Viewer and checks it.
export * from "./detail";
export * from "./list";
