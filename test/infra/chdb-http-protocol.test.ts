/** The HTTP-interface rules of chdb-http that need no engine: statements, parameters, errors, CLI env. */
import { describe, expect, it } from 'vitest';
import { serverOptionsFromEnv } from '../../infra/chdb-http/config.ts';
import {
  type ClickHouseHttpError,
  errorBody,
  fromEngineError,
  httpStatusFor,
} from '../../infra/chdb-http/errors.ts';
import { parseHttpParams, setStatement } from '../../infra/chdb-http/params.ts';
import { splitStatement } from '../../infra/chdb-http/sql.ts';

function refusal(text: string): ClickHouseHttpError | undefined {
  try {
    splitStatement(text);
    return undefined;
  } catch (err) {
    return err as ClickHouseHttpError;
  }
}

describe('splitStatement', () => {
  it('keeps one statement and drops trailing semicolons', () => {
    expect(splitStatement('SELECT 1 ;; -- done\n')).toEqual({ statement: 'SELECT 1', keyword: 'SELECT' });
  });

  it.each([
    'SELECT 1; SELECT 2',
    'INSERT INTO t VALUES (1); DROP TABLE t',
    'SELECT 1;\n/* comment */ DROP TABLE t',
  ])('refuses the multi-statement request %j with SYNTAX_ERROR', (text) => {
    expect(refusal(text)?.code).toBe(62);
  });

  it.each([
    "SELECT 'a;b'",
    'SELECT `we;ird` FROM t',
    'SELECT "x;y"',
    "SELECT 'it\\'s;' , 'a''b;'",
    'SELECT $$;$$, $tag$ ; $tag$',
    'SELECT 1 -- ; SELECT 2',
    'SELECT 1 /* ; /* nested ; */ SELECT 2 */',
  ])('does not split on a semicolon inside %j', (text) => {
    expect(refusal(text)).toBeUndefined();
  });

  it('refuses an empty query', () => {
    expect(refusal('  -- nothing\n')?.message).toBe('Empty query.');
  });

  it('finds the output format, not a column named format', () => {
    expect(splitStatement('SELECT 1 \nFORMAT JSONEachRow').format).toBe('JSONEachRow');
    expect(splitStatement('SELECT 1 FORMAT CSV SETTINGS max_threads = 1').format).toBe('CSV');
    expect(splitStatement('SELECT format FROM t').format).toBeUndefined();
    expect(splitStatement("SELECT * FROM file('x', 'CSV') FORMAT TSV").format).toBe('TSV');
  });

  it('separates INSERT data after FORMAT name, which may hold semicolons', () => {
    const text = 'INSERT INTO t (a, format) FORMAT JSONEachRow \n{"a":";"}\n';
    const sql = splitStatement(text);
    expect(sql).toMatchObject({
      statement: 'INSERT INTO t (a, format) FORMAT JSONEachRow',
      format: 'JSONEachRow',
    });
    expect(text.slice(sql.dataStart)).toBe('{"a":";"}\n');
    expect(splitStatement('INSERT INTO t FORMAT CSV').dataStart).toBe('INSERT INTO t FORMAT CSV'.length);
  });
});

describe('parseHttpParams and setStatement', () => {
  it('splits reserved names, param_* values and settings', () => {
    const p = parseHttpParams([
      ['query', 'SELECT 1'],
      ['query_id', 'q1'],
      ['database', 'archive'],
      ['default_format', 'JSON'],
      ['session_id', 's'],
      ['wait_end_of_query', '1'],
      ['param_id', "it's \\ here"],
      ['insert_deduplication_token', 'tok'],
    ]);
    expect(p).toMatchObject({ query: 'SELECT 1', queryId: 'q1', database: 'archive', defaultFormat: 'JSON' });
    expect(p.sessionId).toBe('s');
    expect([...p.settings]).toEqual([['insert_deduplication_token', 'tok']]);
    expect(setStatement(p)).toBe("SET insert_deduplication_token = 'tok', param_id = 'it\\'s \\\\ here'");
  });

  it('defaults the format to TabSeparated and invents a query id', () => {
    const p = parseHttpParams([]);
    expect(p.defaultFormat).toBe('TabSeparated');
    expect(p.queryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(setStatement(p)).toBeUndefined();
  });

  it('refuses a setting name that could smuggle SQL', () => {
    const p = parseHttpParams([['max_threads = 1; DROP TABLE t; --', '1']]);
    expect(() => setStatement(p)).toThrow(/Unknown setting/);
  });
});

describe('errors', () => {
  it('keeps the innermost message and type of a nested chDB error', () => {
    const nested = Object.assign(
      new Error(
        "Code: 115. DB::Exception: Code: 115. DB::Exception: Unknown setting 'x'. (UNKNOWN_SETTING) (version 26.7.2.1). (UNKNOWN_SETTING)",
      ),
      { clickhouseCode: 115 },
    );
    const err = fromEngineError(nested);
    expect([err.code, err.type, err.message]).toEqual([115, 'UNKNOWN_SETTING', "Unknown setting 'x'."]);
    expect(errorBody(err, '26.7.2.1')).toBe(
      "Code: 115. DB::Exception: Unknown setting 'x'. (UNKNOWN_SETTING) (version 26.7.2.1)\n",
    );
  });

  it('maps codes to the statuses a server answers with', () => {
    expect([62, 60, 48, 241].map(httpStatusFor)).toEqual([400, 404, 501, 500]);
  });
});

describe('serverOptionsFromEnv', () => {
  it('names the missing variable and defaults the port to 8123', () => {
    expect(() => serverOptionsFromEnv({})).toThrow(/CHDB_DATA_DIR is not set/);
    expect(serverOptionsFromEnv({ CHDB_DATA_DIR: '/d' })).toEqual({ dataDir: '/d', port: 8123 });
    expect(() => serverOptionsFromEnv({ CHDB_DATA_DIR: '/d', CHDB_HTTP_PORT: 'http' })).toThrow(
      /CHDB_HTTP_PORT/,
    );
  });
});
