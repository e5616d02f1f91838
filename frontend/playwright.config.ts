// End-to-end tests in Debian's Chromium (Playwright cannot download browsers here) against
// a real gateway started for the run: fresh data dir, master key sk-e2e, a free port.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

import { defineConfig } from "@playwright/test";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const python = `${repoRoot}.venv/bin/python`;

// Worker processes load this file again; the environment keeps them on the main process's
// port and data dir.
function freePort(): string {
  return execFileSync(python, [
    "-c",
    "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
  ])
    .toString()
    .trim();
}

if (process.env.DELTALLM_E2E_PORT === undefined) {
  process.env.DELTALLM_E2E_PORT = freePort();
  process.env.DELTALLM_E2E_DATA_DIR = mkdtempSync(`${tmpdir()}/deltallm-e2e-`);
  // A second gateway where administrators must use MFA (general_settings.require_mfa_for_admins).
  process.env.DELTALLM_E2E_MFA_PORT = freePort();
  process.env.DELTALLM_E2E_MFA_DATA_DIR = mkdtempSync(`${tmpdir()}/deltallm-e2e-mfa-`);
  writeFileSync(
    `${process.env.DELTALLM_E2E_MFA_DATA_DIR}/config.yaml`,
    "model_list:\n  - model_name: demo\n    deltallm_params: {model: demo/echo}\n" +
      "general_settings:\n  require_mfa_for_admins: true\n",
  );
}
const port = process.env.DELTALLM_E2E_PORT;
const mfaPort = process.env.DELTALLM_E2E_MFA_PORT;
const mfaDataDir = process.env.DELTALLM_E2E_MFA_DATA_DIR ?? "";
const MASTER_KEY = "sk-e2e";
const MFA_SPEC = /console-mfa-required\.spec\.ts/;

export default defineConfig({
  testDir: "e2e",
  timeout: 60_000,
  forbidOnly: process.env.CI !== undefined,
  reporter: process.env.CI !== undefined ? "line" : "list",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "gateway", testIgnore: MFA_SPEC },
    { name: "mfa-required", testMatch: MFA_SPEC, use: { baseURL: `http://127.0.0.1:${mfaPort}` } },
  ],
  webServer: [
    {
      command: `${python} -m app.cli.main serve --port ${port}`,
      cwd: repoRoot,
      url: `http://127.0.0.1:${port}/health/liveness`,
      env: {
        DELTALLM_DATA_DIR: process.env.DELTALLM_E2E_DATA_DIR ?? "",
        DELTALLM_MASTER_KEY: MASTER_KEY,
        DELTALLM_LOG_LEVEL: "warning",
      },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: `${python} -m app.cli.main serve --port ${mfaPort} --config ${mfaDataDir}/config.yaml`,
      cwd: repoRoot,
      url: `http://127.0.0.1:${mfaPort}/health/liveness`,
      env: {
        DELTALLM_DATA_DIR: mfaDataDir,
        DELTALLM_MASTER_KEY: MASTER_KEY,
        DELTALLM_LOG_LEVEL: "warning",
      },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
    },
  ],
});
