/**
 * bastion-migrate's committed bundles (main, post and the keep-open helper), run the way the runner
 * runs them, against the lab's bastion namespace and the PostgreSQL only it can reach.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import * as net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction, runStep, secretLeaks } from '#runner/index';
import { startExtraSshd } from './support/docker.ts';
import { errorsOf } from './support/deploy.ts';
import { labEnv, type LabEnv } from './support/lab.ts';
import { freePort } from './support/servers.ts';

const ACTION = 'actions/bastion-migrate';
const TABLE = `gp_migrated_${process.pid}`;
let lab: LabEnv;

const inputs = (overrides: Record<string, string> = {}) => ({
  'bastion-host': lab.LAB_BASTION_HOST!,
  'bastion-port': lab.LAB_BASTION_PORT!,
  'bastion-user': lab.LAB_BASTION_USER!,
  'bastion-key': readFileSync(lab.LAB_BASTION_KEY_FILE!, 'utf8'),
  'bastion-host-key': lab.LAB_BASTION_KNOWN_HOSTS!,
  'db-host': lab.LAB_DB_HOST!,
  'db-port': lab.LAB_DB_PORT!,
  'db-name': lab.LAB_DB_NAME!,
  'db-user': lab.LAB_DB_USER!,
  'db-password': lab.LAB_DB_PASSWORD!,
  'connect-timeout': '8s',
  ...overrides,
});
const migrate = async (overrides: Record<string, string> = {}) =>
  (await runAction(ACTION, { inputs: inputs(overrides), timeoutMs: 120_000 })).main;
/** Asks the database directly over its unix socket (the filesystem is shared; the network is not). */
const sql = (query: string) =>
  execFileSync('runuser', ['-u', 'postgres', '--', 'psql', '-h', `${lab.LAB_DIR}/postgres/socket`, '-d', lab.LAB_DB_NAME!, '-Atc', query], {
    encoding: 'utf8',
  }).trim();
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket
      .on('connect', () => {
        socket.destroy();
        resolve(true);
      })
      .on('error', () => resolve(false));
  });

beforeAll(() => {
  lab = labEnv();
});
afterAll(() => {
  sql(`DROP TABLE IF EXISTS ${TABLE}; DROP TABLE IF EXISTS ${TABLE}_marker`);
});

describe('bastion-migrate: migrating through the tunnel', () => {
  it('applies a psql migration through the bastion, with a backup first, while the database has no direct route', async () => {
    const direct = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: lab.LAB_DB_HOST, port: Number(lab.LAB_DB_PORT) });
      socket
        .on('connect', () => {
          socket.destroy();
          resolve('connected');
        })
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(direct).toMatch(/^(EHOSTUNREACH|ENETUNREACH)$/);
    const backup = `/tmp/gp-backup-${process.pid}.dump`;
    const step = await migrate({
      command: `psql -v ON_ERROR_STOP=1 -c "CREATE TABLE ${TABLE} (id int PRIMARY KEY, tenant text NOT NULL)" -c "INSERT INTO ${TABLE} VALUES (1, 'acme')"`,
      'backup-file': backup,
    });
    expect(errorsOf(step)).toBe('');
    expect(step.exitCode).toBe(0);
    expect(sql(`SELECT tenant FROM ${TABLE}`)).toBe('acme');
    expect(readFileSync(backup).subarray(0, 5).toString()).toBe('PGDMP');
    expect(statSync(backup).size).toBeGreaterThan(0);
    rmSync(backup);
    expect(step.outputs['database-url']).toMatch(new RegExp(`^postgresql://app:.+@127\\.0\\.0\\.1:${step.outputs['local-port']}/app$`));
    expect(step.stdout).toMatch(/database: PostgreSQL \d+/);
    expect(await listening(Number(step.outputs['local-port']))).toBe(false);
  });

  it('gives the command DATABASE_URL and PG* through the tunnel, streams its output, and masks the password', async () => {
    const step = await migrate({ command: 'echo "url=$DATABASE_URL"; psql -Atc "select inet_server_addr()"; echo "pw=$PGPASSWORD"' });
    expect(step.exitCode).toBe(0);
    expect(step.maskedLog).toContain('url=***');
    expect(step.maskedLog).toContain(`${lab.LAB_DB_HOST}\n`);
    expect(step.maskedLog).toContain('pw=***');
    // database-url carries the password by design; it is registered as a mask, like the password itself.
    expect(step.masks).toContain(step.outputs['database-url']);
    const withoutUrlOutput = { ...step, outputs: { ...step.outputs, 'database-url': '' } };
    for (const secret of [
      lab.LAB_DB_PASSWORD!,
      ...readFileSync(lab.LAB_BASTION_KEY_FILE!, 'utf8')
        .split('\n')
        .filter((l) => l.length > 20),
    ]) {
      // The command itself printed $DATABASE_URL and $PGPASSWORD (masked in the log above); every other place stays clean.
      const otherLines = withoutUrlOutput.stdout
        .split('\n')
        .filter((l) => !l.startsWith('url=') && !l.startsWith('pw='))
        .join('\n');
      expect(secretLeaks({ ...withoutUrlOutput, stdout: otherLines }, secret)).toEqual([]);
    }
  });

  it('runs check-command first and migrates nothing when it fails', async () => {
    const step = await migrate({ 'check-command': 'echo checking; exit 4', command: `psql -c "CREATE TABLE ${TABLE}_never (id int)"` });
    expect(step.exitCode).toBe(1);
    expect(errorsOf(step)).toBe('bastion-migrate failed: check-command failed; nothing was migrated (exit 4)');
    expect(sql(`SELECT count(*) FROM pg_tables WHERE tablename = '${TABLE}_never'`)).toBe('0');
  });

  it("fails with the command's exit code, and releases tunnel and lock", async () => {
    const port = await freePort();
    const step = await migrate({ command: 'echo about to fail; exit 3', 'local-port': String(port) });
    expect(step.exitCode).toBe(1);
    expect(errorsOf(step)).toBe('bastion-migrate failed: the migration command failed (exit 3)');
    expect(await listening(port)).toBe(false);
    expect(sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).toBe('0');
  });

  it('kills a command that runs past command-timeout', async () => {
    const step = await migrate({ command: 'sleep 30', 'command-timeout': '1s' });
    expect(errorsOf(step)).toBe('bastion-migrate failed: command timed out after 1 s and was killed');
  });

  it('refuses a local port that is already taken', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const step = await migrate({ command: 'true', 'local-port': String(port) });
    server.close();
    expect(errorsOf(step)).toBe(
      `bastion-migrate failed: local-port: 127.0.0.1:${port} is already in use; choose another port, or 0 for a free one`,
    );
  });
});

describe('bastion-migrate: a real Django migration', () => {
  const database = `gp_django_${process.pid}`;
  const image = `golden-lab-test/backend:${process.pid}`;
  beforeAll(() => {
    execFileSync('docker', ['build', '-q', '-t', image, 'examples/backend']);
    sql(`CREATE DATABASE ${database} OWNER ${lab.LAB_DB_USER}`);
  }, 300_000);
  afterAll(() => {
    sql(`DROP DATABASE IF EXISTS ${database}`);
    execFileSync('docker', ['image', 'rm', image]);
  });

  it('runs manage.py migrate in a lab-built container on the host network, through the tunnel', async () => {
    const step = await migrate({
      'db-name': database,
      'check-command': `docker run --rm --network host -e DATABASE_URL ${image} python3 manage.py makemigrations --check --dry-run`,
      // The container gets the run's session settings only when they are passed in, as the README shows.
      command:
        `docker run --rm --network host -e DATABASE_URL -e PGOPTIONS -e PGAPPNAME ${image} python3 manage.py migrate --fake-initial --noinput && ` +
        `docker run --rm --network host -e DATABASE_URL -e PGOPTIONS -e PGAPPNAME ${image} python3 manage.py shell -c "` +
        `from django.db import connection; c = connection.cursor(); ` +
        `c.execute(\\"SELECT current_setting('lock_timeout') || ' ' || current_setting('application_name')\\"); print('settings:', c.fetchone()[0])"`,
    });
    expect(errorsOf(step)).toBe('');
    expect(step.stdout).toContain(`settings: 2s ${step.outputs['application-name']}`);
    expect(step.stdout).toContain('Applying core.0001_initial... OK');
    const applied = execFileSync(
      'runuser',
      [
        '-u',
        'postgres',
        '--',
        'psql',
        '-h',
        `${lab.LAB_DIR}/postgres/socket`,
        '-d',
        database,
        '-Atc',
        "SELECT app || '.' || name FROM django_migrations WHERE app = 'core'",
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(applied).toBe('core.0001_initial');
  });
});

describe('bastion-migrate: the lock', () => {
  // Fails if two runs overlap: the second CREATE finds the marker table the first has not dropped yet.
  const exclusive = `psql -v ON_ERROR_STOP=1 -c "CREATE TABLE ${TABLE}_marker (id int)" && sleep 2 && psql -v ON_ERROR_STOP=1 -c "DROP TABLE ${TABLE}_marker"`;

  it('serialises two runs: the second waits, then proceeds, never interleaved', async () => {
    const [a, b] = await Promise.all([migrate({ command: exclusive }), migrate({ command: exclusive })]);
    expect([errorsOf(a), errorsOf(b)]).toEqual(['', '']);
    const waits = [Number(a.outputs['lock-wait-ms']), Number(b.outputs['lock-wait-ms'])].sort((x, y) => x - y);
    expect(waits[1]).toBeGreaterThan(1500);
    expect([a, b].some((s) => s.stdout.includes('waiting up to 300 s for the migration lock'))).toBe(true);
  });

  it('without the lock, the same two runs do interleave and one fails: the test above can fail', async () => {
    const [a, b] = await Promise.all([migrate({ command: exclusive, lock: 'false' }), migrate({ command: exclusive, lock: 'false' })]);
    expect([a.exitCode, b.exitCode].sort()).toEqual([0, 1]);
    sql(`DROP TABLE IF EXISTS ${TABLE}_marker`);
  });

  it('times out with a clear error naming the holder', async () => {
    const holder = migrate({ command: 'sleep 4' });
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = await migrate({ command: 'true', 'lock-timeout': '1s' });
    expect(errorsOf(waiting)).toMatch(
      /^bastion-migrate failed: another migration still holds the lock after 1 s \(held by backend \d+, golden-pipeline-migrate, since .+\); raise lock-timeout/,
    );
    expect((await holder).exitCode).toBe(0);
  });
});

describe('bastion-migrate: a migration never stalls the site waiting for a lock', () => {
  const table = `${TABLE}_hot`;
  /** A session of the app's own, over the database's unix socket: not through the tunnel, not the run's. */
  const appSession = async (applicationName: string) => {
    const client = new pg.Client({
      host: `${lab.LAB_DIR}/postgres/socket`,
      user: lab.LAB_DB_USER,
      password: lab.LAB_DB_PASSWORD,
      database: lab.LAB_DB_NAME,
      application_name: applicationName,
    });
    await client.connect();
    return client;
  };
  /** A reader that queries the table every 200 ms, as the site does, and keeps the longest wait for an answer. */
  const startReader = async () => {
    const client = await appSession('gp-test-reader');
    let longestMs = 0;
    let queries = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        const started = performance.now();
        await client.query(`SELECT count(*) FROM ${table}`);
        const took = performance.now() - started;
        longestMs = Math.max(longestMs, took);
        queries += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 200 - took)));
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        await client.end();
        return { longestMs: Math.round(longestMs), queries };
      },
    };
  };
  let blocker: pg.Client;
  let blockerPid: number;
  /** A long read transaction on the table, left open: what a report or an idle-in-transaction bug does. */
  const holdReadTransaction = async () => {
    await blocker.query('BEGIN');
    await blocker.query(`SELECT count(*) FROM ${table}`);
  };
  const columns = () =>
    sql(`SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '${table}'`);
  const alter = (column: string) => `psql -v ON_ERROR_STOP=1 -c "ALTER TABLE ${table} ADD COLUMN ${column} int"`;

  beforeAll(async () => {
    blocker = await appSession('gp-test-blocker');
    blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await blocker.query(
      `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int); INSERT INTO ${table} SELECT generate_series(1, 100)`,
    );
  });
  afterAll(async () => {
    await blocker.query('ROLLBACK').catch(() => undefined);
    await blocker.query(`DROP TABLE IF EXISTS ${table}`);
    await blocker.end();
  });

  it('without a lock timeout the reader stalls behind the queued ALTER (so the test below can fail)', async () => {
    await holdReadTransaction();
    const reader = await startReader();
    const release = setTimeout(() => void blocker.query('COMMIT'), 4000);
    const step = await migrate({ command: alter('stalled'), 'db-lock-timeout': '0' });
    clearTimeout(release);
    const { longestMs } = await reader.stop();
    console.log(`[migrate locks] no lock timeout: the reader waited up to ${longestMs} ms`);
    expect(errorsOf(step)).toBe('');
    expect(longestMs).toBeGreaterThan(2500);
    expect(step.stdout).toMatch(
      new RegExp(`lock wait: session \\d+ has waited [\\d.]+ s for AccessExclusiveLock on ${table}, held by pid ${blockerPid} `),
    );
  });

  it('fails within the lock timeout naming the blocker, in the log and the summary, and the reader never waits much longer', async () => {
    await holdReadTransaction();
    const reader = await startReader();
    const started = performance.now();
    const step = await migrate({ command: alter('never'), 'db-lock-timeout': '1s' });
    const tookMs = Math.round(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const { longestMs, queries } = await reader.stop();
    await blocker.query('COMMIT');
    console.log(
      `[migrate locks] lock timeout 1 s: failed after ${tookMs} ms; the reader waited up to ${longestMs} ms over ${queries} queries`,
    );
    expect(errorsOf(step)).toMatch(
      new RegExp(
        `^bastion-migrate failed: the migration command could not get a lock within db-lock-timeout \\(1 s\\) and failed: it waited for AccessExclusiveLock on ${table}, ` +
          `held by pid ${blockerPid} \\(user app, application_name 'gp-test-blocker', idle in transaction, transaction open [\\d.]+ s\\): ` +
          `SELECT count\\(\\*\\) FROM ${table} \\(exit 1\\)$`,
      ),
    );
    expect(tookMs).toBeLessThan(15_000);
    expect(longestMs).toBeLessThan(2500);
    expect(step.summary).toContain('## ❌ Migration through');
    expect(step.summary).toMatch(
      new RegExp(
        `\\| ${blockerPid} \\| app \\| gp-test-blocker \\| idle in transaction \\| [\\d.]+ s \\| \`SELECT count\\(\\*\\) FROM ${table}\` \\|`,
      ),
    );
    expect(columns()).toBe('id,stalled');
  });

  it('with lock-retries, the same migration runs again with backoff and succeeds once the blocker commits', async () => {
    await holdReadTransaction();
    const reader = await startReader();
    const release = setTimeout(() => void blocker.query('COMMIT'), 2500);
    const step = await migrate({ command: alter('retried'), 'db-lock-timeout': '1s', 'lock-retries': '5' });
    clearTimeout(release);
    const { longestMs } = await reader.stop();
    console.log(`[migrate locks] lock-retries: the reader waited up to ${longestMs} ms`);
    expect(errorsOf(step)).toBe('');
    expect(step.stdout).toMatch(
      /command could not get a lock within db-lock-timeout \(1 s\) on attempt 1 of 6: .*gp-test-blocker.*; running it again in 1 s/,
    );
    expect(step.stdout).toContain('command (attempt 2 of 6)');
    expect(step.summary).toMatch(/the command ran [2-6] times \(lock retries\)/);
    expect(longestMs).toBeLessThan(2500);
    expect(columns()).toBe('id,stalled,retried');
  });

  it('SIGKILLed while its ALTER waits, the run leaves no statement queued: the lock timeout ends it on the server too', async () => {
    await holdReadTransaction();
    const reader = await startReader();
    let action: ChildProcess | undefined;
    const running = runAction(ACTION, {
      inputs: inputs({ command: alter('orphaned'), 'db-lock-timeout': '2s' }),
      timeoutMs: 120_000,
      onSpawn: (child) => {
        action = child;
      },
    });
    // Asked without blocking this process, where the reader runs too.
    const observer = await appSession('gp-test-observer');
    const alters = async (condition: string) =>
      (await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'ALTER TABLE ${table}%' AND ${condition}`))
        .rows[0].n as number;
    // The ALTER is in the lock queue (the server says so): kill the action at a random moment of its wait.
    await until('the ALTER waiting', async () => (await alters("wait_event_type = 'Lock'")) === 1, 20_000);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
    action!.kill('SIGKILL');
    const { main } = await running;
    expect(main.signal).toBe('SIGKILL');
    // PostgreSQL does not notice a gone client while its backend waits for a lock; lock_timeout ends the wait.
    const goneMs = await until('no ALTER left on the server', async () => (await alters("state = 'active'")) === 0, 10_000);
    const { longestMs } = await reader.stop();
    await observer.end();
    await blocker.query('COMMIT');
    console.log(
      `[migrate locks] SIGKILL mid-wait: the orphaned ALTER was gone ${goneMs} ms later; the reader waited up to ${longestMs} ms`,
    );
    expect(longestMs).toBeLessThan(3500);
    expect(columns()).not.toContain('orphaned');
  });

  it('a statement timeout stops a runaway statement', async () => {
    const started = performance.now();
    const step = await migrate({ command: 'psql -v ON_ERROR_STOP=1 -c "SELECT pg_sleep(60)"', 'db-statement-timeout': '1s' });
    expect(errorsOf(step)).toBe(
      'bastion-migrate failed: the migration command failed: a statement ran longer than db-statement-timeout (1 s) and was cancelled (exit 1)',
    );
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('warns when a client ignored PGAPPNAME and PGOPTIONS, so its sessions run without the lock timeout', async () => {
    const step = await migrate({ command: 'env -u PGAPPNAME -u PGOPTIONS psql -Atc "SELECT pg_sleep(1.8)"' });
    expect(errorsOf(step)).toBe('');
    expect(step.stdout).toMatch(
      /1 connection\(s\) through the tunnel are not sessions named gp-migrate\/\S+: their client did not read PGAPPNAME, .*docker run -e PGOPTIONS -e PGAPPNAME/,
    );
    const named = await migrate({ command: 'psql -Atc "SELECT pg_sleep(1.8)"' });
    expect(named.stdout).not.toContain('through the tunnel are not sessions named');
  });

  it("names the run's sessions, sets their timeouts through PGOPTIONS, and puts check-command's plan in the summary", async () => {
    const settings = `psql -Atc "SELECT current_setting('application_name') || ' ' || current_setting('lock_timeout') || ' ' || current_setting('statement_timeout') || ' ' || current_setting('work_mem')"`;
    const { main: step } = await runAction(ACTION, {
      inputs: inputs({ 'check-command': `echo "plan: add column"; ${settings}`, command: settings, 'db-statement-timeout': '90s' }),
      // The job's own PGOPTIONS is kept; the inputs are applied after it, so they win where both set a setting.
      env: {
        GITHUB_RUN_ID: '4242',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_REPOSITORY: 'acme/payments',
        PGOPTIONS: '-c lock_timeout=9s -c work_mem=8MB',
      },
      timeoutMs: 120_000,
    });
    expect(errorsOf(step)).toBe('');
    const name = step.outputs['application-name']!;
    expect(name).toMatch(/^gp-migrate\/4242\.2\/\d+\/acme\/payments$/);
    expect(step.outputs['pg-options']).toBe(`-c application_name=${name} -c lock_timeout=2000 -c statement_timeout=90000`);
    expect(step.stdout).toContain(`${name} 2s 90s 8MB`);
    expect(step.summary).toContain(
      `<details><summary>Plan: what check-command printed (2 lines)</summary>\n\n\`\`\`text\nplan: add column\n${name} 2s 90s 8MB\n\`\`\``,
    );
  });
});

describe('bastion-migrate: connection errors are distinct', () => {
  it('bastion unreachable', async () => {
    const step = await migrate({
      'bastion-host': '127.0.0.1',
      'bastion-port': String(await freePort()),
      'bastion-host-key': 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU',
    });
    expect(errorsOf(step)).toMatch(
      /^bastion-migrate failed: could not connect to bastion@127\.0\.0\.1:\d+: the connection was refused \(nothing listens on port \d+ yet, or a firewall rejects it\)$/,
    );
  });
  it('authentication failure', async () => {
    const step = await migrate({ 'bastion-key': readFileSync(lab.LAB_SSH_KEY_FILE!, 'utf8') });
    expect(errorsOf(step)).toMatch(/^bastion-migrate failed: authentication as bastion@10\.231\.1\.2:22 failed/);
  });
  it('wrong host key', async () => {
    const step = await migrate({ 'bastion-host-key': lab.LAB_SSH_KNOWN_HOSTS!.replace(/^\S+/, lab.LAB_BASTION_HOST!) });
    expect(errorsOf(step)).toMatch(/^bastion-migrate failed: host key verification failed for 10\.231\.1\.2:22: it presented SHA256:/);
  });
  it('database down (nothing listens where db-port points)', async () => {
    const step = await migrate({ 'db-port': '5439', command: 'true' });
    expect(errorsOf(step)).toMatch(
      /^bastion-migrate failed: the bastion could not open 10\.231\.2\.2:5439: .*\(is the database down, or db-host\/db-port wrong\?\)$/,
    );
  });
  it('wrong database password', async () => {
    const step = await migrate({ 'db-password': 'not-the-password', command: 'true' });
    expect(errorsOf(step)).toBe('bastion-migrate failed: the database refused the password for user app (check db-password)');
    expect(secretLeaks(step, 'not-the-password')).toEqual([]);
  });
});

describe('bastion-migrate: the bastion dies mid-migration', () => {
  it('fails within the keepalive window and leaves nothing running', async () => {
    const port = 2200 + (process.pid % 500);
    const bastion = await startExtraSshd(lab, port, { bastion: true });
    const marker = `gp-migrate-sleep-${process.pid}`;
    try {
      const started = Date.now();
      const running = migrate({
        'bastion-port': String(port),
        'bastion-host-key': bastion.knownHosts,
        command: `exec -a ${marker} sleep 60`,
      });
      await new Promise((r) => setTimeout(r, 3000));
      await bastion.killSessions();
      const step = await running;
      expect(Date.now() - started).toBeLessThan(35_000);
      expect(errorsOf(step)).toMatch(
        /^bastion-migrate failed: the SSH connection to 10\.231\.1\.2:\d+ was lost during command; the step stopped it$/,
      );
      expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(marker);
    } finally {
      await bastion.stop();
    }
  });
});

describe('bastion-migrate: keep-open mode', () => {
  it('leaves the tunnel open for later steps, and the post step closes it (twice is harmless)', async () => {
    const main = await runStep(ACTION, 'main', { inputs: inputs({ command: '' }) });
    expect(errorsOf(main)).toBe('');
    const port = Number(main.outputs['local-port']);
    // A later step in the job uses the tunnel.
    const later = execFileSync('psql', [main.outputs['database-url']!, '-Atc', 'select inet_server_addr()'], { encoding: 'utf8' });
    expect(later.trim()).toBe(lab.LAB_DB_HOST);
    expect(sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).toBe('1');
    const post = await runStep(ACTION, 'post', { inputs: inputs({ command: '' }), state: main.state });
    expect(post.stdout).toMatch(/tunnel helper \d+ closed the tunnel and released the lock/);
    expect(await listening(port)).toBe(false);
    expect(sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).toBe('0');
    const again = await runStep(ACTION, 'post', { inputs: inputs({ command: '' }), state: main.state });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/has already ended/);
  });
});

/** Every process whose command line holds `marker`. */
const processesWith = (marker: string) =>
  execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(marker));
const advisoryLocks = () => sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'");
async function until(what: string, check: () => boolean | Promise<boolean>, withinMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Math.round(performance.now() - started);
}

describe('bastion-migrate: a cancelled or killed run leaves nothing running', () => {
  // The command marks that it runs, then holds: the signal lands while it is mid-run.
  const midRun = (marker: string, flag: string) => `touch ${flag}; (exec -a ${marker}-child sleep 120) & exec -a ${marker} sleep 120`;

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    it(`${signal} to the action mid-command: no process of the run remains, nothing listens on its port, the lock is free`, async () => {
      const marker = `gp-migrate-${signal.toLowerCase()}-${process.pid}`;
      const flag = `/tmp/${marker}.started`;
      const port = await freePort();
      let action: ChildProcess | undefined;
      const running = runAction(ACTION, {
        inputs: inputs({ 'local-port': String(port), command: midRun(marker, flag) }),
        timeoutMs: 120_000,
        onSpawn: (child) => {
          action = child;
        },
      });
      try {
        await until('the command started', () => existsSync(flag), 30_000);
        // The command and its background child, by their own names; the watchdog and bash carry the marker in their args too.
        expect(processesWith(marker).filter((line) => line.trim().split(/\s+/)[1]!.startsWith(marker))).toHaveLength(2);
        expect(advisoryLocks()).toBe('1');
        action!.kill(signal);
        const { main, post } = await running;
        if (signal === 'SIGKILL') {
          expect(main.signal).toBe('SIGKILL');
        } else {
          // The action cleaned up and failed, saying so.
          expect(main.exitCode).toBe(1);
          expect(errorsOf(main)).toMatch(
            new RegExp(`^bastion-migrate: cancelled \\(${signal}\\): command was stopped: its whole process group was killed`),
          );
          expect(main.stdout).toContain('tunnel closed, lock released');
        }
        expect(post?.exitCode ?? 0).toBe(0);
        // The command and its child die with the action; the port and the lock are free.
        const goneMs = await until("the run's processes gone", () => processesWith(marker).length === 0, 5_000);
        expect(await listening(port)).toBe(false);
        const freeMs = await until('the lock released', () => advisoryLocks() === '0', 15_000);
        console.log(`[migrate cancel] ${signal}: processes gone after ${goneMs} ms, lock free after ${freeMs} ms`);
      } finally {
        rmSync(flag, { force: true });
        for (const line of processesWith(marker)) process.kill(Number(line.trim().split(' ')[0]), 'SIGKILL');
      }
    });
  }

  it("an orphan of a killed run cannot use a later run's tunnel on the same fixed local-port", async () => {
    const port = await freePort();
    const marker = `gp-migrate-orphan-${process.pid}`;
    const flag = `/tmp/${marker}.started`;
    sql(
      `DROP TABLE IF EXISTS ${TABLE}_order; CREATE TABLE ${TABLE}_order (n serial, who text); GRANT ALL ON ${TABLE}_order, ${TABLE}_order_n_seq TO ${lab.LAB_DB_USER}`,
    );
    // The killed run's command leaves a process that escaped its group (setsid): for 12 s it keeps trying to
    // write through whatever listens on the port. It starts trying 2 s after the run is killed (the kill comes
    // within a poll of the flag): before that it is still the run's own process, rightly admitted.
    const orphan = `sleep 2; for i in $(seq 1 40); do psql -Atc "INSERT INTO ${TABLE}_order (who) VALUES (\\$\\$orphan\\$\\$)" && break; sleep 0.3; done # ${marker}`;
    const escaped = `setsid bash -c '${orphan}' </dev/null >/dev/null 2>&1 & touch ${flag}; exec -a ${marker} sleep 120`;
    const first = runAction(ACTION, {
      inputs: inputs({ 'local-port': String(port), command: escaped }),
      timeoutMs: 120_000,
      onSpawn: (child) => {
        void until('the command started', () => existsSync(flag), 30_000).then(() => child.kill('SIGKILL'));
      },
    });
    try {
      await first;
      await until("the first run's port free", async () => !(await listening(port)), 10_000);
      const row = (who: string) => `psql -Atc "INSERT INTO ${TABLE}_order (who) VALUES ('${who}')"`;
      const second = (
        await runAction(ACTION, {
          inputs: inputs({ 'local-port': String(port), command: `${row('next run: start')}; sleep 5; ${row('next run: end')}` }),
          timeoutMs: 120_000,
        })
      ).main;
      expect(errorsOf(second)).toBe('');
      expect(sql(`SELECT string_agg(who, ', ' ORDER BY n) FROM ${TABLE}_order`)).toBe('next run: start, next run: end');
      expect(second.stdout).toMatch(
        /tunnel: refused a connection from (process \d+: it is not this run's|127\.0\.0\.1:\d+: its process cannot be seen)/,
      );
      expect(processesWith(`# ${marker}`).length).toBeGreaterThan(0); // the orphan was still trying throughout
    } finally {
      rmSync(flag, { force: true });
      for (const line of processesWith(marker)) process.kill(Number(line.trim().split(' ')[0]), 'SIGKILL');
      sql(`DROP TABLE IF EXISTS ${TABLE}_order`);
    }
  });

  it('the keep-open helper ends when its job is killed: the tunnel closes and the lock is released', async () => {
    const job = spawn(process.execPath, ['test/support/job.ts', ACTION], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      job.stdin.end(JSON.stringify(inputs({ command: '' })));
      const [line] = await createInterface({ input: job.stdout })
        [Symbol.asyncIterator]()
        .next()
        .then((r) => [r.value as string]);
      const main = JSON.parse(line!) as { exitCode: number; outputs: Record<string, string>; state: Record<string, string>; log: string };
      expect(main.exitCode, main.log).toBe(0);
      const port = Number(main.outputs['local-port']);
      const helper = Number(main.state['tunnel-helper-pid']);
      expect(await listening(port)).toBe(true);
      expect(advisoryLocks()).toBe('1');
      job.kill('SIGKILL');
      const goneMs = await until(
        'the helper gone',
        () => !existsSync(`/proc/${helper}`) || readFileSync(`/proc/${helper}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'),
        5_000,
      );
      expect(await listening(port)).toBe(false);
      await until('the lock released', () => advisoryLocks() === '0', 10_000);
      console.log(`[migrate cancel] keep-open helper ended ${goneMs} ms after its job was killed`);
    } finally {
      job.kill('SIGKILL');
    }
  });
});
