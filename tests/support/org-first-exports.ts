import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * lib/ is the one place permissions are checked: an exported function that reads or writes
 * tenant data takes the Viewer and checks it, or is named `unsafe...` (system context: jobs,
 * the CLI, ingest and worker processes). A function taking a bare `orgId` first checks nothing,
 * so this finds every exported one that is not named `unsafe...`.
 */
export type Violation = { file: string; line: number; name: string };

/** Exported functions of one source text whose first parameter is an org id without `unsafe`. */
export function orgFirstExports(fileName: string, sourceText: string): Violation[] {
  const source = ts.createSourceFile(fileName, sourceText, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Violation[] = [];
  const report = (name: string, node: ts.Node, fn: ts.SignatureDeclarationBase) => {
    const first = fn.parameters[0];
    if (name.startsWith("unsafe") || !first || !namesOrgId(first)) return;
    found.push({ file: fileName, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, name });
  };
  for (const statement of source.statements) {
    if (!isExported(statement)) continue;
    if (ts.isFunctionDeclaration(statement)) {
      report(statement.name?.text ?? "default", statement, statement);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const fn = declaration.initializer && functionOf(declaration.initializer);
        if (fn && ts.isIdentifier(declaration.name)) report(declaration.name.text, declaration, fn);
      }
    }
  }
  return found;
}

/** Every violation in the .ts files under `root` (tests and generated code excluded). */
export function orgFirstExportsUnder(root: string): Violation[] {
  const files = readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts") && !file.endsWith(".d.ts"))
    .filter((file) => !file.split(path.sep).includes("generated"))
    .sort();
  return files.flatMap((file) => orgFirstExports(path.join(root, file), readFileSync(path.join(root, file), "utf8")));
}

function isExported(statement: ts.Statement): boolean {
  return ts.canHaveModifiers(statement) && Boolean(ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
}

/** The function an exported const holds, through parentheses, `as` and `satisfies`. */
function functionOf(expression: ts.Expression): ts.SignatureDeclarationBase | undefined {
  let inner = expression;
  while (ts.isParenthesizedExpression(inner) || ts.isAsExpression(inner) || ts.isSatisfiesExpression(inner)) inner = inner.expression;
  return ts.isArrowFunction(inner) || ts.isFunctionExpression(inner) ? inner : undefined;
}

/** `orgId`, `{ orgId, ... }`, or any parameter typed as an object literal type with `orgId`. */
function namesOrgId(parameter: ts.ParameterDeclaration): boolean {
  const { name, type } = parameter;
  if (ts.isIdentifier(name) && name.text === "orgId") return true;
  if (ts.isObjectBindingPattern(name) && name.elements.some((element) => bindsOrgId(element))) return true;
  return type !== undefined && typeHasOrgId(type);
}

function bindsOrgId(element: ts.BindingElement): boolean {
  const key = element.propertyName ?? element.name;
  return (ts.isIdentifier(key) || ts.isStringLiteral(key)) && key.text === "orgId";
}

function typeHasOrgId(type: ts.TypeNode): boolean {
  if (ts.isParenthesizedTypeNode(type)) return typeHasOrgId(type.type);
  if (ts.isIntersectionTypeNode(type) || ts.isUnionTypeNode(type)) return type.types.some(typeHasOrgId);
  if (!ts.isTypeLiteralNode(type)) return false;
  return type.members.some(
    (member) => member.name !== undefined && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)) && member.name.text === "orgId",
  );
}
