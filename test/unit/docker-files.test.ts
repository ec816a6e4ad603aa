// docker/Dockerfile and docker/compose.yaml cannot be run on the project's machines (no container engine
// works there), so they are checked here as far as that goes without one: compose.yaml against the
// Compose Specification's JSON schema (as shipped by dclint, a copy of compose-spec's
// schema/compose-spec.json) and dclint's own rules; the Dockerfile with dockerfile-utils (the linter of
// the Dockerfile language server); and both against the repository: every path they name exists, the
// Node version is package.json's, the nodes' ports are the servers of deploy/haproxy.cfg.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { validate as validateDockerfile } from 'dockerfile-utils';
import t from 'tap';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCKER = join(ROOT, 'docker');
const COMPOSE_FILE = join(DOCKER, 'compose.yaml');
const DOCKERFILE = join(DOCKER, 'Dockerfile');
const require = createRequire(import.meta.url);
const COMPOSE_SCHEMA = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };

// ---- compose.yaml -------------------------------------------------------------------------------

interface Service {
  build?: { context: string; dockerfile: string; target?: string };
  image?: string;
  network_mode?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// YAML merge keys (<<: *node) as Compose reads them.
const composeText = readFileSync(COMPOSE_FILE, 'utf8');
const compose = parse(composeText, { merge: true }) as Compose;

function schemaValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  // The schema names draft-07 by its https address; Ajv knows draft-07 by its http one.
  const draft07 = require('ajv/dist/refs/json-schema-draft-07.json') as Record<string, unknown>;
  ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
  return ajv.compile(JSON.parse(readFileSync(COMPOSE_SCHEMA, 'utf8')) as object);
}

t.test('compose.yaml is valid against the Compose Specification schema', async (t) => {
  const schema = JSON.parse(readFileSync(COMPOSE_SCHEMA, 'utf8')) as { title?: string };
  t.equal(schema.title, 'Compose Specification', 'the schema is the Compose Specification');
  const check = schemaValidator();
  t.ok(check(compose), `no schema errors: ${JSON.stringify(check.errors, null, 1)}`);
  // The validator does reject what the specification does not allow (a misspelt key, a bad type).
  t.notOk(check({ ...compose, services: { ...compose.services, haproxy: { ...compose.services.haproxy, network_mod: 'host' } } }), 'a misspelt key is refused');
  t.notOk(check({ ...compose, services: { ...compose.services, postgres: { ...compose.services.postgres, command: { run: 'postgres' } } } }), 'a wrong type is refused');
});

// What dclint reports (its published .d.ts files import without extensions, which NodeNext cannot follow).
interface LintMessage {
  rule: string;
  type: 'warning' | 'error';
  category: string;
  message: string;
  line: number;
}

t.test('dclint finds no errors in compose.yaml', async (t) => {
  const [result] = new DCLinter({ rules: {}, quiet: false, debug: false, exclude: [] }).lintFiles([COMPOSE_FILE], false);
  t.ok(result, 'dclint read the file');
  const messages = (result?.messages ?? []) as LintMessage[];
  const errors = messages.filter((m) => m.type === 'error');
  t.same(errors, [], 'no errors (its warnings are about key order only)');
  const warnings = new Set(messages.filter((m) => m.type !== 'error').map((m) => m.rule));
  t.same([...warnings].filter((r) => !/order/.test(r)), [], `warnings only about ordering: ${[...warnings].join(', ')}`);
});

t.test('compose.yaml: every path it names exists, every volume is declared', async (t) => {
  const stages = dockerfileStages();
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.build) {
      const context = resolve(DOCKER, service.build.context);
      t.equal(context, resolve(ROOT), `${name}: builds from the repository root`);
      t.ok(existsSync(join(context, service.build.dockerfile)), `${name}: ${service.build.dockerfile} exists`);
      t.ok(service.build.target && stages.includes(service.build.target), `${name}: target ${service.build.target} is a stage of the Dockerfile`);
    }
    for (const volume of service.volumes ?? []) {
      const [source = ''] = volume.split(':');
      if (source.startsWith('.') || source.startsWith('/')) t.ok(existsSync(resolve(DOCKER, source)), `${name}: bind-mounted ${source} exists`);
      else t.ok(compose.volumes && source in compose.volumes, `${name}: volume ${source} is declared`);
    }
  }
});

t.test('compose.yaml describes the cluster of DESIGN.md', async (t) => {
  const s = compose.services;
  t.same(Object.keys(s).sort(), ['asterisk', 'haproxy', 'node-a', 'node-b', 'postgres']);
  for (const [name, service] of Object.entries(s)) t.equal(service.network_mode, 'host', `${name} is on the host's network (the addresses of deploy/haproxy.cfg)`);
  t.match(s.postgres!.image, /^postgres:15(\b|-)/, 'PostgreSQL 15');
  t.match(s.haproxy!.image, /^haproxy:2\.6(\b|-)/, 'HAProxy 2.6, as Debian 12 has');

  const nodes = ['node-a', 'node-b'].map((n) => s[n]!);
  const asteriskDataDir = s.asterisk!.environment!.DATA_DIR!;
  const sharedVolume = s.asterisk!.volumes!.map((v) => v.split(':')).find(([, target]) => target === asteriskDataDir)?.[0];
  t.ok(sharedVolume, 'Asterisk keeps DATA_DIR (where npm run asterisk writes asterisk.env) on a volume');
  const cfgPorts = [...readFileSync(join(ROOT, 'deploy/haproxy.cfg'), 'utf8').matchAll(/^\s+server\s+\S+\s+127\.0\.0\.1:(\d+)/gm)].map((m) => m[1]);
  for (const [i, node] of nodes.entries()) {
    const env = node.environment!;
    t.equal(node.build?.target, 'node', `node ${i + 1} is the node image`);
    t.match(env.DATABASE_URL, /^postgres:\/\/[^@]+@127\.0\.0\.1:5432\/\w+$/, 'DATABASE_URL names the postgres service');
    t.equal(env.TELEPHONY, 'external');
    t.equal(env.HOST, '127.0.0.1', 'listens on loopback, behind HAProxy');
    t.equal(env.TRUST_PROXY, 'loopback', 'believes the HAProxy on its own host');
    t.equal(env.PORT, cfgPorts[i], `its PORT is server ${i + 1} of deploy/haproxy.cfg`);
    const mount = node.volumes!.map((v) => v.split(':')).find(([source]) => source === sharedVolume);
    t.ok(mount && mount[2] === 'ro', 'mounts Asterisk’s volume read-only');
    t.equal(env.ASTERISK_ENV_FILE, `${mount?.[1]}/asterisk.env`, 'ASTERISK_ENV_FILE is the asterisk.env Asterisk writes');
    t.same(Object.keys(node.depends_on ?? {}).sort(), ['asterisk', 'postgres']);
  }
  const ranges = nodes.map((n) => [Number(n.environment!.SFU_RTC_MIN_PORT), Number(n.environment!.SFU_RTC_MAX_PORT)] as const);
  t.ok(ranges[0]![1] < ranges[1]![0], 'the nodes’ video port ranges do not overlap');
  // Asterisk's RTP range: 10000-20000 (src/ari/asterisk/process.ts).
  t.ok(ranges.every(([lo]) => lo > 20000), 'nor Asterisk’s RTP ports');
  t.same(s.asterisk!.build?.target, 'asterisk');
  const cfgMount = s.haproxy!.volumes!.map((v) => v.split(':')).find(([source]) => source === '../deploy/haproxy.cfg');
  t.ok(cfgMount, 'HAProxy runs deploy/haproxy.cfg');
  t.equal(s.haproxy!.command![s.haproxy!.command!.indexOf('-f') + 1], cfgMount?.[1], 'the file its command loads');
});

// ---- Dockerfile ---------------------------------------------------------------------------------

const dockerfileText = readFileSync(DOCKERFILE, 'utf8');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

// Instructions with their continuation lines joined; comments and blank lines dropped.
function instructions(text: string): Instruction[] {
  const result: Instruction[] = [];
  let pending: Instruction | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1).trim() : line;
    if (pending) pending.args += ` ${body}`;
    else {
      const [keyword = '', ...rest] = body.split(/\s+/);
      pending = { keyword: keyword.toUpperCase(), args: rest.join(' '), line: i + 1 };
    }
    if (!continued) {
      result.push(pending);
      pending = undefined;
    }
  }
  return result;
}

function dockerfileStages(): string[] {
  return instructions(dockerfileText)
    .filter((i) => i.keyword === 'FROM')
    .map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1] ?? '');
}

t.test('the Dockerfile has no problems dockerfile-utils knows of', async (t) => {
  const problems = validateDockerfile(dockerfileText);
  t.same(problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`), []);
  // The linter does find problems where there are some.
  t.ok(validateDockerfile('FROM debian:12\nCOPY onlyone\nFROOM x\n').length >= 2, 'it reports a broken Dockerfile');
});

t.test('the Dockerfile: stages, Node version and every path it uses', async (t) => {
  const all = instructions(dockerfileText);
  t.same(dockerfileStages(), ['build', 'node', 'asterisk']);

  const nodeMajor = /^ARG NODE_MAJOR=(\d+)$/m.exec(dockerfileText)?.[1];
  const wanted = /(\d+)/.exec(pkg.dependencies.node ?? '')?.[1];
  t.ok(wanted, 'package.json has the node dependency');
  t.equal(nodeMajor, wanted, 'NODE_MAJOR is the major version of package.json’s node dependency');

  const ignored = readFileSync(join(DOCKER, 'Dockerfile.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const copies = all.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args));
  t.ok(copies.length >= 5, 'the build copies the sources in');
  for (const copy of copies) {
    const words = copy.args.split(/\s+/).filter((w) => !w.startsWith('--'));
    for (const source of words.slice(0, -1)) {
      const path = join(ROOT, source);
      t.ok(existsSync(path), `line ${copy.line}: COPY ${source} exists`);
      const top = source.replace(/^\.\//, '').split('/')[0]!;
      t.notOk(ignored.includes(top), `line ${copy.line}: ${source} is not left out by Dockerfile.dockerignore`);
      if (source.endsWith('/')) t.ok(statSync(path).isDirectory(), `${source} is a folder`);
    }
  }
  for (const src of ['src', 'views', 'public', 'asterisk-config', 'scripts']) {
    t.ok(copies.some((c) => c.args.split(/\s+/).includes(`${src}/`)), `${src}/ is copied into the image`);
  }

  const scripts = all.filter((i) => i.keyword === 'RUN').flatMap((i) => [...i.args.matchAll(/bash (scripts\/\S+\.sh)/g)].map((m) => m[1]!));
  t.same(scripts.sort(), ['scripts/build-mediasoup-worker.sh', 'scripts/provision-asterisk.sh'], 'it provisions with the project’s own scripts');
  for (const script of scripts) t.ok(existsSync(join(ROOT, script)), `${script} exists`);
  t.match(dockerfileText, /SKIP_PROVISIONING=1 npm ci/, 'npm ci runs the postinstall with SKIP_PROVISIONING=1');
  t.match(readFileSync(join(ROOT, 'scripts/postinstall.sh'), 'utf8'), /SKIP_PROVISIONING/, 'which the postinstall honours');

  const cmds = all.filter((i) => i.keyword === 'CMD').map((i) => JSON.parse(i.args) as string[]);
  t.same(cmds, [
    ['npm', 'start'],
    ['npm', 'run', 'asterisk'],
  ]);
  t.ok(pkg.scripts.start, 'npm start exists');
  t.ok(pkg.scripts.asterisk, 'npm run asterisk exists');
});
