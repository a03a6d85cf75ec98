/**
 * terraform/ checked offline on every `npm test` (no terraform binary on these machines): it parses, is
 * formatted, uses only arguments the google provider's schema has, resolves every reference, declares and uses
 * every variable, sets or deliberately defaults every lib/config.ts variable for every function, and schedules
 * exactly what lib/runtime/schedules.ts says. A second suite breaks a copy on purpose and expects each report.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckReport, checkTerraform } from '../../infra/terraform-check/index.ts';
import type { CheckName } from '../../infra/terraform-check/types.ts';
import { SCHEDULES } from '../../lib/runtime/schedules.ts';

const TERRAFORM = join(import.meta.dirname, '../../terraform');
const CONFIG = join(import.meta.dirname, '../../lib/config.ts');
/** Variables other branches of this round add to lib/config.ts that terraform/ already sets or defaults. */
const ANNOUNCED = [
  'STRATA_FALLBACK',
  'STRATA_FALLBACK_BUCKET',
  'STRATA_GCS_ENDPOINT',
  'STRATA_SCHEDULER_JWKS_URL',
  'STRATA_SCHEDULER_ISSUERS',
  'STRATA_METRICS',
];
const options = { configPath: CONFIG, schedules: SCHEDULES, announced: ANNOUNCED };

const messages = (report: CheckReport, check: CheckName) =>
  report.findings.filter((f) => f.check === check).map((f) => `${f.file}: ${f.message}`);

describe('terraform/ passes the offline checks', () => {
  let report: CheckReport;
  beforeAll(async () => {
    report = await checkTerraform(TERRAFORM, options);
  });

  it.each<CheckName>([
    'parse',
    'format',
    'schema',
    'providers',
    'references',
    'variables',
    'config',
    'schedules',
  ])('%s', (check) => {
    expect(messages(report, check)).toEqual([]);
  });

  it('pins google to the version whose schema it was checked against', async () => {
    const versions = await readFile(join(TERRAFORM, 'versions.tf'), 'utf8');
    expect(report.googleVersion).toBe('6.50.0');
    expect(versions).toMatch(/google = \{\s+source\s+= "hashicorp\/google"\s+version = "6\.50\.0"/);
  });

  it('leaves unchecked only the providers with no schema on this machine', () => {
    const providers = new Set(report.unchecked.map((type) => type.split(':')[1]?.split('_')[0]));
    expect([...providers].sort()).toEqual(['archive', 'clickhouse', 'neon', 'random', 'upstash']);
  });
});

describe('the checker reports a broken copy', () => {
  let dir: string;
  let report: CheckReport;
  const edit = async (file: string, from: string | RegExp, to: string) => {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8');
    const changed = text.replace(from, to);
    if (changed === text) throw new Error(`${file}: ${String(from)} not found, the fixture is stale`);
    await writeFile(path, changed);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-tf-'));
    await cp(TERRAFORM, dir, {
      recursive: true,
      filter: (src) => !/[/\\]\.(terraform|build)([/\\]|$)/.test(src),
    });
    await edit(
      'modules/http-function/main.tf',
      'entry_point = var.entry_point',
      'entry_pont  = var.entry_point',
    );
    await edit(
      'main.tf',
      'service_account_email           = google_service_account.jobs.email',
      'service_account_email           = google_service_account.job.email',
    );
    await edit(
      'outputs.tf',
      'value       = google_storage_bucket.fallback.name',
      'value       = google_storage_bucket.fallback.nam',
    );
    await edit(
      'storage.tf',
      'uniform_bucket_level_access = true',
      'uniform_bucket_level_access = true\n  bogus = var.not_declared',
    );
    await edit('env.tf', /\n {4}STRATA_DATA_DIR = "\/tmp\/strata"/, '');
    await edit('schedules.auto.tfvars.json', '"cron": "*/10 * * * *"', '"cron": "*/15 * * * *"');
    await edit('environments/dev.tfvars', 'log_level = "debug"', 'log_levl = "debug"');
    await writeFile(join(dir, 'broken.tf'), 'resource "google_storage_bucket" "x" {\n  name = "a"\n');
    report = await checkTerraform(dir, options);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a misspelled argument of google_cloudfunctions2_function', () => {
    expect(messages(report, 'schema')).toContainEqual(
      expect.stringMatching(
        /http-function\/main\.tf: .*build_config: unsupported argument "entry_pont" \(did you mean "entry_point"\?\)/,
      ),
    );
  });

  it('a dangling reference to a resource', () => {
    expect(messages(report, 'references')).toContainEqual(
      'main.tf: google_service_account.job.email: no resource google_service_account.job in this module',
    );
  });

  it('an attribute the resource does not have', () => {
    expect(messages(report, 'references')).toContainEqual(
      'outputs.tf: google_storage_bucket.fallback.nam: google_storage_bucket has no attribute "nam"',
    );
  });

  it('an undeclared variable and an unknown argument', () => {
    expect(messages(report, 'references')).toContainEqual(
      'storage.tf: var.not_declared: no such variable in this module',
    );
    expect(messages(report, 'schema')).toContainEqual(
      expect.stringMatching(/storage\.tf: google_storage_bucket\.fallback: unsupported argument "bogus"/),
    );
  });

  it('a config variable neither set nor defaulted', () => {
    expect(messages(report, 'config')).toContainEqual(
      'env.tf: STRATA_DATA_DIR (lib/config.ts) is neither set for state-api nor listed in local.config_defaults',
    );
  });

  it('a schedule that disagrees with lib/runtime/schedules.ts', () => {
    expect(messages(report, 'schedules')).toContainEqual(
      'schedules.auto.tfvars.json: consistency-check: cron "*/15 * * * *" in Terraform, "*/10 * * * *" in lib/runtime/schedules.ts',
    );
  });

  it('a tfvars key that is no variable', () => {
    expect(messages(report, 'variables')).toContainEqual(
      'environments/dev.tfvars: sets "log_levl", which is not a variable',
    );
  });

  it('a file that does not parse, and one not formatted', () => {
    expect(messages(report, 'parse')).toContainEqual(
      expect.stringMatching(/^broken\.tf: .*Unclosed configuration block/),
    );
    expect(messages(report, 'format')).toContainEqual(expect.stringMatching(/^storage\.tf: not formatted/));
  });
});
