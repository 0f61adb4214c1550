#!/usr/bin/env node
// The package's `prepare`: builds dist/ (tsup, a devDependency). npm runs it on `npm install` and
// `npm ci` in a clone, on `npm pack`, and when it prepares a git dependency. That last case needs
// two repairs for `npm install -g git+…`, because npm (pacote's git fetcher, npm 10 and 11)
// prepares the git clone by spawning `npm install --include=dev …` in a temporary clone with the
// parent's environment, which carries npm_config_global=true (and npm_config_prefix): that child
// install is a global one, so
//   1. it installs no dependencies in the clone (devDependencies included): no tsup to build with;
//   2. it links the global package folder (<prefix>/lib/node_modules/warren) to the temporary
//      clone. The parent npm had created that folder empty and extracts the packed clone into it
//      afterwards: through the link, into the clone, which pacote then deletes, leaving a
//      dangling link (or a gutted folder) and no `warren` command.
// So: when this package is linked there, put back the empty folder the parent made; when tsup is
// missing, install the locked dependencies here first, as a local install. Everything else (a
// clone with its dependencies, `npm pack`, a git dependency of a local project) just builds.
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, readFileSync, realpathSync, rmSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { name } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

// npm's own CLI, the one running this script, for the nested npm commands
function npm(args, env) {
  const cli = process.env.npm_execpath;
  const [cmd, argv] = cli && cli.endsWith(".js") ? [process.execPath, [cli, ...args]] : ["npm", args];
  const res = spawnSync(cmd, argv, {
    cwd: root,
    env,
    stdio: ["ignore", "inherit", "inherit"],
    shell: !cli && process.platform === "win32",
  });
  if (res.error) throw res.error;
  if (res.status !== 0) process.exit(res.status ?? 1);
}

// pacote sets _PACOTE_NO_PREPARE_ for exactly the npm install it runs in a git dependency's clone
function unlinkFromGlobalPrefix() {
  if (process.env._PACOTE_NO_PREPARE_ === undefined) return;
  const prefix = process.env.npm_config_global_prefix || process.env.npm_config_prefix;
  if (!prefix) return;
  const folder = process.platform === "win32" ? join(prefix, "node_modules", name) : join(prefix, "lib", "node_modules", name);
  let linked = false;
  try {
    linked = lstatSync(folder).isSymbolicLink() && realpathSync(folder) === realpathSync(root);
  } catch {
    return; // not there: nothing linked us
  }
  if (!linked) return;
  rmSync(folder); // the link only, not what it points to
  mkdirSync(folder);
}

function hasTsup() {
  try {
    createRequire(join(root, "package.json")).resolve("tsup/package.json");
    return true;
  } catch {
    return false;
  }
}

// the nested install must be a local one into this folder, whatever the outer npm was asked
function localEnv() {
  const env = { ...process.env };
  const drop = [
    "global",
    "location",
    "prefix",
    "global_prefix",
    "local_prefix",
    "omit",
    "include",
    "production",
    "only",
    "also",
    "dry_run",
    "package_lock_only",
    "workspace",
    "workspaces",
    "include_workspace_root",
    "force",
    "install_strategy",
    "global_style",
    "legacy_bundling",
    "ignore_scripts",
    "save",
    "save_dev",
    "save_prod",
  ];
  for (const key of Object.keys(env)) {
    const m = /^npm_config_(.*)$/i.exec(key);
    if (m && drop.includes(m[1].toLowerCase())) delete env[key];
  }
  return env;
}

unlinkFromGlobalPrefix();
const env = localEnv();
if (!hasTsup()) {
  // --ignore-scripts: the dependencies need no install scripts, and it keeps this script from
  // running itself again (npm ci runs the root package's prepare)
  const quiet = ["--include=dev", "--include=optional", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"];
  npm(existsSync(join(root, "package-lock.json")) ? ["ci", ...quiet] : ["install", "--no-save", ...quiet], env);
}
npm(["run", "build", "--silent"], env);
