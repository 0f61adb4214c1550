// The package's `prepare`: builds dist/ (not committed), which `npm pack`, `npm ci` and installs
// from a git URL run. `npm install -g git+…` (npm 7 and later) prepares the clone with an
// `npm install` that inherits --global from the environment npm sets (npm_config_global,
// npm_config_prefix): it installs nothing into the clone, and the build finds no tsup. Then the
// dev dependencies are installed here first, as a project install.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const npm = (args, env = process.env) => {
  const cli = process.env.npm_execpath;
  if (cli && cli.endsWith(".js")) execFileSync(process.execPath, [cli, ...args], { stdio: "inherit", env });
  else execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", args, { stdio: "inherit", env, shell: process.platform === "win32" });
};

if (!existsSync("node_modules/.bin/tsup")) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_config_(global|location|prefix)$/i.test(k)) delete env[k];
  npm(["install", "--no-save", "--ignore-scripts", "--include=dev", "--no-audit", "--no-fund", "--loglevel=error"], env);
}
npm(["run", "build", "--silent"]);
