import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const SCHEMA_FILE = 'deploy/marathon/schema/app.schema.json';

interface AppSchema {
  definitions: { AppDefinition: { properties: Record<string, unknown> } };
}

export interface SchemaChecker {
  /** Every problem of one app definition, each as `<path> <message>`; empty when it is valid. */
  checkApp(app: unknown): string[];
  /** A group (`{id, apps}`) or a single app: every problem, each prefixed with the app's id. */
  checkDefinition(definition: unknown): string[];
}

/**
 * Marathon's published app schema (a copy in the repository, see deploy/marathon/schema/README.md), plus what
 * the published schema lets through and Marathon then silently ignores or refuses: top-level keys it does not
 * define (a typo such as `healthcheck`), no command at all, and cmd with args.
 */
export function loadSchemaChecker(root: string): SchemaChecker {
  const schema = JSON.parse(readFileSync(resolve(root, SCHEMA_FILE), 'utf8')) as AppSchema;
  // The RAML conversion carries keywords of its own (x-pragma.*, example): not strict; formats are not checked.
  const validate: ValidateFunction = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  const known = new Set(Object.keys(schema.definitions.AppDefinition.properties));

  const checkApp = (app: unknown): string[] => {
    const problems: string[] = [];
    if (!validate(app)) for (const error of validate.errors ?? []) problems.push(`${error.instancePath || '/'} ${error.message}`);
    if (typeof app === 'object' && app !== null && !Array.isArray(app)) {
      const fields = app as Record<string, unknown>;
      for (const key of Object.keys(fields)) if (!known.has(key)) problems.push(`/${key} is not a Marathon app field`);
      if (!fields.cmd && !fields.args && !fields.container) problems.push('/ needs cmd, args or a container');
      if (fields.cmd && fields.args) problems.push('/ cmd and args together are invalid');
    }
    return problems;
  };

  return {
    checkApp,
    checkDefinition(definition) {
      if (typeof definition !== 'object' || definition === null) return ['/ must be an object (an app or a group)'];
      const group = definition as { id?: unknown; apps?: unknown };
      if (!('apps' in group)) return checkApp(definition).map((problem) => `${String(group.id ?? '?')}: ${problem}`);
      const problems: string[] = [];
      if (typeof group.id !== 'string' || !group.id) problems.push('group: /id must be a non-empty string');
      if (!Array.isArray(group.apps) || group.apps.length === 0) return [...problems, 'group: /apps must be a non-empty array'];
      group.apps.forEach((app, index) => {
        const id = (app as { id?: unknown })?.id;
        for (const problem of checkApp(app)) problems.push(`apps[${index}] ${typeof id === 'string' ? id : '?'}: ${problem}`);
      });
      return problems;
    },
  };
}
