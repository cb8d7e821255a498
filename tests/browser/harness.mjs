// Test harness for the browser suite: a real `sesame serve` on loopback in a fresh temporary
// directory (port 0, the port read from its "listening" line), its CLI on the same data
// directory, and Debian's chromium driven by playwright-core. Node's standard library only,
// besides playwright-core.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

const LISTENING = /sesame listening on http:\/\/127\.0\.0\.1:(\d+)/;

// Cheap argon2id, so logins are fast; the browser suite tests pages, not hashing cost.
const BASE_CONFIG = {
  password: { argon2_iterations: 1, argon2_memory: "64KiB" },
  server: { access_log: false },
};

function tomlValue(value) {
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(tomlValue).join(", ") + "]";
  throw new TypeError("unsupported TOML value " + value);
}

function renderToml(tables) {
  return Object.entries(tables)
    .map(([section, keys]) =>
      [`[${section}]`, ...Object.entries(keys).map(([k, v]) => `${k} = ${tomlValue(v)}`)].join("\n"))
    .join("\n\n") + "\n";
}

function mergeConfig(...parts) {
  const merged = {};
  for (const part of parts) {
    for (const [section, keys] of Object.entries(part ?? {})) {
      merged[section] = { ...(merged[section] ?? {}), ...keys };
    }
  }
  return merged;
}

export class SesameServer {
  constructor(binary, config = {}) {
    this.binary = binary;
    this.tmp = mkdtempSync(path.join(tmpdir(), "sesame-browser-"));
    this.configPath = path.join(this.tmp, "sesame.toml");
    const tables = mergeConfig(BASE_CONFIG, config, { server: { data_dir: path.join(this.tmp, "var") } });
    writeFileSync(this.configPath, renderToml(tables));
    this.env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SESAME_")));
    this.proc = null;
    this.port = null;
    this.stderr = "";
  }

  get origin() {
    return `http://127.0.0.1:${this.port}`;
  }

  url(p = "/") {
    return this.origin + p;
  }

  async start() {
    this.proc = spawn(this.binary, ["serve", "--config", this.configPath, "--listen", "127.0.0.1:0"], {
      env: this.env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.proc.stderr.setEncoding("utf8");
    this.port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("sesame did not start:\n" + this.stderr)), 20000);
      this.proc.stderr.on("data", (chunk) => {
        this.stderr += chunk;
        const m = LISTENING.exec(this.stderr);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      this.proc.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`sesame exited (${code ?? signal}) before listening:\n${this.stderr}`));
      });
    });
    return this;
  }

  // SIGTERM by PID; the server must drain and exit 0.
  async stop() {
    if (!this.proc) return;
    const proc = this.proc;
    this.proc = null;
    proc.removeAllListeners("exit");
    const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
    proc.kill("SIGTERM");
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 25000));
    const result = await Promise.race([exited, timeout]);
    if (result === null) {
      proc.kill("SIGKILL");
      throw new Error("sesame ignored SIGTERM; killed");
    }
    rmSync(this.tmp, { recursive: true, force: true });
    if (result.code !== 0) {
      throw new Error(`sesame exited with ${result.code ?? result.signal} after SIGTERM:\n${this.stderr}`);
    }
  }

  cli(args, input) {
    const r = spawnSync(this.binary, [...args, "--config", this.configPath], {
      env: this.env,
      input,
      encoding: "utf8",
      timeout: 60000,
    });
    if (r.status !== 0) {
      throw new Error(`sesame ${args.join(" ")} exited with ${r.status}: ${r.stdout}${r.stderr}`);
    }
    return r.stdout;
  }

  addUser(name, password, roles = []) {
    const args = ["user", "add", name];
    for (const role of roles) args.push("--role", role);
    args.push("--password-stdin");
    const out = this.cli(args, password + "\n");
    const m = /\((u_[A-Za-z0-9_-]+)\)/.exec(out);
    return m ? m[1] : null;
  }

  // The JSON API, for checks from outside the browser.
  async api(method, p, { headers = {}, body } = {}) {
    const res = await fetch(this.url(p), { method, headers, body, redirect: "manual" });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, headers: res.headers, text, json };
  }

  // Signs in over the JSON API with header transport; returns the session token.
  async headerLogin(username, password) {
    const r = await this.api("POST", "/v1/auth/login", {
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password, mode: "session", transport: "header" }),
    });
    if (r.status !== 200) throw new Error("header login failed: " + r.text);
    return r.json.session_token;
  }
}

// A second origin on loopback for the cross-site tests: serves `pages` ({path: html}).
export async function startOtherOrigin(pages) {
  const server = http.createServer((req, res) => {
    const html = pages[new URL(req.url, "http://x").pathname];
    if (html === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(html);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

export const CHROMIUM = process.env.SESAME_CHROMIUM ?? "/usr/bin/chromium";

export async function launchBrowser() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // This machine has no route out: keep Chromium from trying.
    args: [
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

// Where screenshots go: SESAME_BROWSER_ARTIFACTS, else a temporary directory.
export function artifactDir() {
  const dir = process.env.SESAME_BROWSER_ARTIFACTS ?? path.join(tmpdir(), "sesame-browser-artifacts");
  mkdirSync(dir, { recursive: true });
  return dir;
}

export { readFileSync };
