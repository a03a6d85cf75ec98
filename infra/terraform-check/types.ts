/** Shared shapes of the offline Terraform checker: parsed modules and what each check reports. */

/** A parsed HCL body as @cdktn/hcl2json returns it: blocks are arrays of objects, expressions are "${…}". */
export type HclValue = string | number | boolean | null | HclValue[] | { [key: string]: HclValue };
export type HclBody = { [key: string]: HclValue };

export type CheckName =
  | 'parse'
  | 'format'
  | 'schema'
  | 'providers'
  | 'references'
  | 'variables'
  | 'config'
  | 'schedules';

export interface Finding {
  readonly check: CheckName;
  /** Path relative to the checked directory. */
  readonly file: string;
  readonly message: string;
}

/** One `.tf` (or `.tfvars`) file: its text and, when it parsed, its body. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
  readonly body: HclBody | null;
}

/** A Terraform module: a directory of `.tf` files. */
export interface ModuleDir {
  /** Relative to the checked root ("" for the root module). */
  readonly dir: string;
  readonly files: readonly SourceFile[];
}

/** A resource or data-source block, flattened out of its file. */
export interface BlockRef {
  readonly mode: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
  readonly body: HclBody;
  readonly file: string;
}
